// The cluster guide's manager config.yaml ("internally hosted PostgreSQL and RabbitMQ"), filled in as the
// contract between the tasks describes it: every certificate is the node's generate-test-cert one.
import { GUIDE_SECRETS, type GuideNode } from '../../src/lab/guide-config.js';

export const LAB_ADMIN = 'admin-guide-password-1';

export interface ManagerDocOptions {
  self: string;
  dbs: GuideNode[];
  brokers: GuideNode[];
  home?: string;
  adminPassword?: string;
  loadBalancer?: string;
}

export function managerDoc(o: ManagerDocOptions): Record<string, any> {
  const home = o.home ?? '/root';
  const ca = `${home}/.cloudify-test-ca/ca.crt`;
  const mine = (ext: string) => `${home}/.cloudify-test-ca/${o.self}.${ext}`;
  const monitoring = { username: 'monitoringusername', password: GUIDE_SECRETS.monitoringPassword };
  const byName = <T>(nodes: GuideNode[], f: (n: GuideNode) => T) =>
    Object.fromEntries(nodes.map((n) => [n.name, f(n)]));
  return {
    manager: {
      private_ip: o.self,
      public_ip: o.self,
      security: { ssl_enabled: true, admin_password: o.adminPassword ?? LAB_ADMIN },
      monitoring,
    },
    rabbitmq: {
      username: 'cloudify',
      password: GUIDE_SECRETS.rabbitPassword,
      ca_path: ca,
      cluster_members: byName(o.brokers, (n) => ({ networks: { default: n.ip } })),
      monitoring,
    },
    postgresql_server: {
      ca_path: ca,
      postgres_password: GUIDE_SECRETS.postgresPassword,
      cluster: { nodes: byName(o.dbs, (n) => ({ ip: n.ip })) },
    },
    postgresql_client: {
      ssl_enabled: true,
      server_password: GUIDE_SECRETS.postgresPassword,
      ssl_client_verification: true,
      monitoring,
    },
    ...(o.loadBalancer ? { networks: { 'load-balancer': o.loadBalancer } } : {}),
    ssl_inputs: {
      internal_cert_path: mine('crt'),
      internal_key_path: mine('key'),
      external_cert_path: mine('crt'),
      external_key_path: mine('key'),
      ca_cert_path: ca,
      external_ca_cert_path: ca,
      postgresql_client_cert_path: mine('crt'),
      postgresql_client_key_path: mine('key'),
    },
    prometheus: {
      blackbox_exporter: { ca_cert_path: ca },
      credentials: monitoring,
      cert_path: mine('crt'),
      key_path: mine('key'),
      ca_path: ca,
    },
    services_to_install: ['manager_service', 'monitoring_service'],
  };
}
