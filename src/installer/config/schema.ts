// One schema per config.yaml section (reference §2.2). Unknown keys are errors (a misspelt key is
// otherwise silently ignored and its default used), and every problem names the key and the fix.
import { z } from 'zod';

const o = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape);
const str = z.string();
/** Passwords and tokens: YAML may read `12345` as a number; Cloudify takes it as text. */
const secret = z.union([z.string(), z.number()]).transform(String);
const bool = z.boolean();
const int = z.number().int();
const num = z.number();
const nullableStr = z.string().nullable();
const anyMap = z.record(z.string(), z.unknown());
const creds = o({ username: str, password: secret });

export const ManagerSchema = o({
  private_ip: str,
  public_ip: str,
  hostname: str,
  security: o({ ssl_enabled: bool, admin_username: str, admin_password: secret }),
  cloudify_license_path: str,
  cluster_filesystem_replication: bool,
  internal_rest_port: int,
  additional_internal_rest_listeners: z.array(int),
  cli_local_profile_host_name: str,
  monitoring: creds,
  // read by the manager service
  file_server_type: str.optional(),
  prometheus_url: str.optional(),
});

const ClusterMemberSchema = o({
  networks: z.record(z.string(), str).optional(),
  address: str.optional(),
  node_id: str.optional(),
});

const PolicySchema = o({
  name: str,
  expression: str,
  priority: int.optional(),
  policy: anyMap,
  vhost: str.optional(),
  'apply-to': str.optional(),
  apply_to: str.optional(),
});

export const RabbitmqSchema = o({
  username: str,
  password: secret,
  cluster_members: z.record(z.string(), ClusterMemberSchema.nullable()),
  is_external: bool,
  ca_path: str,
  ca_key_path: str,
  cert_path: str,
  key_path: str,
  use_hostnames_in_db: bool,
  nodename: nullableStr,
  use_long_name: bool,
  join_cluster: nullableStr,
  erlang_cookie: secret.nullable(),
  fd_limit: int,
  monitoring: creds,
  policies: z.array(PolicySchema),
});

const DbNodeSchema = o({ ip: str, node_id: str.optional() });

export const FailoverSchema = o({
  ttl: int.min(5),
  loop_wait: int.min(1),
  retry_timeout: int.min(1),
}).refine((f) => f.loop_wait + 2 * f.retry_timeout <= f.ttl, {
  message:
    'loop_wait + 2 * retry_timeout must not exceed ttl (Patroni would lose the leader key between loops)',
});

export const PostgresqlServerSchema = o({
  postgres_password: secret,
  config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  cert_path: str,
  key_path: str,
  ca_path: str,
  ca_key_path: str,
  cluster: o({
    nodes: z.record(z.string(), DbNodeSchema),
    etcd: o({ cluster_token: secret, root_password: secret, patroni_password: secret }),
    patroni: o({ rest_user: str, rest_password: secret }),
    postgres: o({ replicator_password: secret }),
    failover: FailoverSchema,
  }),
  enable_remote_connections: bool,
  ssl_enabled: bool,
  ssl_only_connections: bool,
  ssl_client_verification: bool,
  db_monitoring: creds,
});

export const PostgresqlClientSchema = o({
  host: str,
  ca_path: str,
  ca_key_path: str,
  server_db_name: str,
  server_username: str,
  server_password: secret,
  cloudify_db_name: str,
  cloudify_username: str,
  cloudify_password: secret,
  ssl_enabled: bool,
  ssl_client_verification: bool,
  monitoring: creds,
});

/** Stratus addition: the load balancer node (load_balancer_service). */
export const LoadBalancerSchema = o({
  /** The manager nodes behind the balancer, name -> {ip}. */
  managers: z.record(z.string(), o({ ip: str })),
  /** Served on 443 and 53333 (HAProxy reads cert + key from one 0400 file). */
  cert_path: str,
  key_path: str,
  /** Verifies the managers (health checks and the re-encrypted traffic). */
  ca_path: str,
  /** How fast a dead manager leaves the pool (measured: docs/decisions.md). */
  health_check: o({ interval_ms: int.min(100), fall: int.min(1), rise: int.min(1) }),
});

const gunicorn = o({ worker_count: int, cpu_ratio: num, max_worker_count: int, max_requests: int });

export const ServiceName = z.enum([
  'database_service',
  'queue_service',
  'manager_service',
  'monitoring_service',
  'entropy_service',
  // Stratus addition: HAProxy in front of the managers (docs/installer.md, "Load balancer").
  'load_balancer_service',
]);
export type ServiceName = z.infer<typeof ServiceName>;

export const ConfigSchema = o({
  manager: ManagerSchema,
  cli: o({ skip_installation: bool, local_profile_host_name: str }),
  provider_context: o({
    policy_engine: o({ start_timeout: int }),
    import_resolver: o({
      parameters: o({ fallback: bool, rules: z.array(z.record(z.string(), str)) }),
    }),
  }),
  networks: z.record(z.string(), str),
  agent: o({ broker_port: int, min_workers: int, max_workers: int, heartbeat: int, log_level: str }),
  rabbitmq: RabbitmqSchema,
  postgresql_server: PostgresqlServerSchema,
  postgresql_client: PostgresqlClientSchema,
  stage: o({ skip_installation: bool, extra_env: anyMap }),
  composer: o({ skip_installation: bool }),
  python: o({ install_python_compilers: bool, remove_on_teardown: bool }),
  restservice: o({
    log: o({ level: str, file_size: int, files_backup_count: int }),
    gunicorn,
    min_available_memory_mb: int,
    insecure_endpoints_disabled: bool,
    port: int,
    failed_logins_before_account_lock: int,
    account_lock_period: int,
    default_page_size: int,
    extra_env: anyMap,
  }),
  api: o({ gunicorn, port: int }),
  nginx: o({
    port: int.nullable(),
    worker_processes: z.union([str, int]),
    worker_connections: int,
    max_open_fds: int,
    rate_limit: o({ enabled: bool, rate: str, burst: int, delay: int }),
    listeners: z.array(anyMap).optional(),
  }),
  mgmtworker: o({
    log_level: str,
    min_workers: int,
    max_workers: int,
    max_concurrent_workflows: int.min(1),
    extra_env: anyMap,
    workflows: o({ task_retries: int, task_retry_interval: int }),
    resources_root: str,
  }),
  sanity: o({ skip_sanity: bool }),
  validations: o({
    skip_validations: bool,
    minimum_required_total_physical_memory_in_mb: int,
    minimum_required_available_disk_space_in_gb: num,
    supported_distros: z.array(str),
    supported_distro_versions: z.array(z.union([str, num]).transform(String)),
    expected_env: z.record(z.string(), z.array(str)),
  }),
  ssl_inputs: o({
    external_cert_path: str,
    external_key_path: str,
    internal_cert_path: str,
    internal_key_path: str,
    postgresql_client_cert_path: str,
    postgresql_client_key_path: str,
    postgresql_superuser_client_cert_path: str,
    postgresql_superuser_client_key_path: str,
    ca_cert_path: str,
    ca_key_path: str,
    ca_key_password: secret,
    external_ca_cert_path: str,
    external_ca_key_path: str,
    external_ca_key_password: secret,
  }),
  usage_collector: o({
    collect_cloudify_uptime: o({ active: bool, interval_in_hours: num }),
    collect_cloudify_usage: o({ active: bool, interval_in_days: num }),
  }),
  prometheus: o({
    cert_path: str,
    key_path: str,
    ca_path: str,
    ca_key_path: str,
    port: int,
    node_exporter: o({ metrics_port: int }),
    blackbox_exporter: o({ metrics_port: int, ca_cert_path: str }),
    postgres_exporter: o({
      metrics_port: int,
      ca_cert_path: str,
      password: secret,
      sslmode: str,
      ip_address: str,
    }),
    rabbitmq_prometheus: o({ metrics_port: int }),
    credentials: creds,
    scrape_interval: str,
    request_timeout: num,
  }),
  flask_security: anyMap,
  load_balancer: LoadBalancerSchema,
  services_to_install: z.array(ServiceName),
  unconfigured_install: bool,
  /** Bookkeeping, set by the loader: the files that were merged. */
  config_files: z.array(str).optional(),
});

export type Config = z.infer<typeof ConfigSchema>;
