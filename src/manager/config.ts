// Manager settings with their defaults in one place. The serve and worker commands fill them from flags and env.
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ManagerConfig {
  /** Where the embedded database and the file server's resources live. @default ~/.stratus/data */
  dataDir: string;
  /** Server driver URL; unset means the embedded database. */
  dbUrl?: string;
  /** RabbitMQ URL; unset means the in-process bus. */
  amqpUrl?: string;
  /** CA bundle that verifies an amqps:// broker. */
  amqpCa?: string;
  /** Reconnect to the brokers registered in the database (`cfy cluster brokers`), not only the URL's. */
  amqpFollowRegistry?: boolean;
  host: string;
  port: number;
  /** The bootstrap admin's password; generated and printed once when unset on a new database. */
  adminPassword?: string;
  /** Failed logins before the account locks. @default 4 (Cloudify's failed_logins_before_account_lock) */
  failedLoginsBeforeLock: number;
  /** Minutes an account stays locked (Cloudify's account_lock_period). @default 15 */
  accountLockMinutes: number;
  /** Failed logins one client address may make in a minute, whatever the usernames. @default 20 */
  loginFailuresPerMinute: number;
  /**
   * Proxies (IPs or CIDRs, e.g. the load balancers) whose X-Forwarded-For names the client address
   * that failed-login counting uses; unset: the peer's address.
   */
  trustedProxies?: string[];
  /** Stack traces of unexpected errors in the answers' server_traceback (env STRATUS_DEBUG=true). */
  debug?: boolean;
  /** Default `_size` of lists. @default 1000 */
  defaultPageSize: number;
  /** Largest `_size` a list accepts. @default 10000 */
  maxPageSize: number;
  /** Largest blueprint upload (archive or YAML), in MB. @default 50 (Cloudify's blueprint_folder_max_size_mb) */
  blueprintMaxSizeMb: number;
  /** Most files an extracted blueprint may hold. @default 10000 (Cloudify's blueprint_folder_max_files) */
  blueprintMaxFiles: number;
  /**
   * Executions that run at once across the cluster; more wait as `queued` (Cloudify's
   * max_concurrent_workflows). @default 20
   */
  maxConcurrentWorkflows: number;
  /** 32-byte key (hex or base64) that encrypts secrets at rest; derived from the data dir key file when unset. */
  secretsKey?: string;
  /** The key file when `secretsKey` is unset, created (mode 0400) if missing. @default <dataDir>/secrets.key */
  secretsKeyFile?: string;
  /** This manager's identity in the `managers` table. */
  hostname: string;
  privateIp: string;
  publicIp: string;
  /** Serve our own Prometheus metrics at http://127.0.0.1:<metricsPort>/metrics; unset: no metrics listener. */
  metricsPort?: number;
  /** The local Prometheus's targets folder, whose federation files follow the cluster registry. */
  prometheusTargetsDir?: string;
  /** The local Prometheus that GET /cluster-status queries; unset: the process's own checks. */
  prometheus?: PrometheusAccess;
}

/** How a manager reaches its own Prometheus (monitoring_service): TLS and basic auth on 8009. */
export interface PrometheusAccess {
  /** Base URL including the route prefix, e.g. https://10.0.0.31:8009/monitoring */
  url: string;
  /** CA file that verifies Prometheus's certificate (prometheus.ca_path). */
  caPath?: string;
  username: string;
  password: string;
}

export function defaultConfig(overrides: Partial<ManagerConfig> = {}): ManagerConfig {
  return {
    dataDir: join(homedir(), '.stratus', 'data'),
    host: '127.0.0.1',
    port: 8080,
    failedLoginsBeforeLock: 4,
    accountLockMinutes: 15,
    loginFailuresPerMinute: 20,
    defaultPageSize: 1000,
    maxPageSize: 10000,
    blueprintMaxSizeMb: 50,
    blueprintMaxFiles: 10000,
    maxConcurrentWorkflows: 20,
    hostname: 'localhost',
    privateIp: '127.0.0.1',
    publicIp: '127.0.0.1',
    ...overrides,
  };
}

export const VERSION = {
  version: '5.1.2',
  edition: 'community',
  distribution: 'stratus',
  distro_release: 'debian-12',
};
