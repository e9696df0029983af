// The cluster guide's config.yaml for each role, filled in for given nodes (what an operator writes by
// hand). Used by `lab install`, the tests and the benchmark, so they exercise the guide's YAML as written.
import { stringify } from 'yaml';

export interface GuideNode {
  name: string;
  ip: string;
}

export interface GuideSecrets {
  postgresPassword: string;
  clusterToken: string;
  etcdRootPassword: string;
  patroniEtcdPassword: string;
  patroniRestPassword: string;
  replicatorPassword: string;
  rabbitPassword: string;
  erlangCookie: string;
  monitoringPassword: string;
}

/** The lab's admin password for the managers (the guide leaves it to the operator). */
export const LAB_ADMIN_PASSWORD = 'admin-guide-password-1';

/** The guide's example values. */
export const GUIDE_SECRETS: GuideSecrets = {
  postgresPassword: 'areallystrongandsecretpasswordforpostgres',
  clusterToken: 'astrongandsecretpasswordlikestring',
  etcdRootPassword: 'anotherstrongandsecretbutdifferentpassword',
  patroniEtcdPassword: 'yetanotherstrongandsecretpassword',
  patroniRestPassword: 'strongandsecretpatronirestpassword',
  replicatorPassword: 'stillanotherstrongandsecretpassword',
  rabbitPassword: 'areallystrongandsecretpasswordforrabbit',
  erlangCookie: 'anothersecurepasswordlikestring',
  monitoringPassword: 'longyeteasytorememberstringasapassword',
};

const certs = (home: string, ip: string) => ({
  cert_path: `${home}/.cloudify-test-ca/${ip}.crt`,
  key_path: `${home}/.cloudify-test-ca/${ip}.key`,
  ca_path: `${home}/.cloudify-test-ca/ca.crt`,
});

/** "Locally Hosted Cloudify PostgreSQL Database Cluster Installation", the example block. */
export function databaseConfig(self: GuideNode, dbs: GuideNode[], s = GUIDE_SECRETS, home = '/root'): string {
  const doc = {
    manager: { private_ip: self.ip, public_ip: self.ip },
    postgresql_server: {
      postgres_password: s.postgresPassword,
      ...certs(home, self.ip),
      cluster: {
        nodes: Object.fromEntries(dbs.map((n) => [n.name, { ip: n.ip }])),
        etcd: {
          cluster_token: s.clusterToken,
          root_password: s.etcdRootPassword,
          patroni_password: s.patroniEtcdPassword,
        },
        patroni: { rest_user: 'patroni', rest_password: s.patroniRestPassword },
        postgres: { replicator_password: s.replicatorPassword },
      },
    },
    prometheus: {
      credentials: { username: 'monitoringusername', password: s.monitoringPassword },
      ...certs(home, self.ip),
      postgres_exporter: { password: '', sslmode: 'require' },
    },
    services_to_install: ['database_service', 'monitoring_service'],
  };
  return stringify(doc);
}

/** "Locally Hosted RabbitMQ Cluster Installation": the first broker has no join_cluster. */
export function queueConfig(
  self: GuideNode,
  brokers: GuideNode[],
  s = GUIDE_SECRETS,
  home = '/root',
): string {
  const first = brokers[0]!;
  const doc = {
    manager: { private_ip: self.ip, public_ip: self.ip },
    rabbitmq: {
      username: 'cloudify',
      password: s.rabbitPassword,
      ...certs(home, self.ip),
      cluster_members: Object.fromEntries(brokers.map((n) => [n.name, { networks: { default: n.ip } }])),
      nodename: self.name,
      ...(self.name === first.name ? {} : { join_cluster: first.name }),
      erlang_cookie: s.erlangCookie,
    },
    prometheus: {
      credentials: { username: 'monitoringusername', password: s.monitoringPassword },
      ...certs(home, self.ip),
    },
    services_to_install: ['queue_service', 'monitoring_service'],
  };
  return stringify(doc);
}

const byName = <T>(nodes: GuideNode[], value: (n: GuideNode) => T) =>
  Object.fromEntries(nodes.map((n) => [n.name, value(n)]));

export interface ManagerPeers {
  databases: GuideNode[];
  brokers: GuideNode[];
  /** The load balancer in front of the managers, if the topology has one. */
  loadBalancer?: GuideNode;
}

/**
 * "Cloudify Management Service", the template for internally hosted PostgreSQL and RabbitMQ, filled in:
 * every certificate is this node's one from `cfy_manager generate-test-cert`, signed by the one test CA.
 */
export function managerConfig(
  self: GuideNode,
  peers: ManagerPeers,
  s = GUIDE_SECRETS,
  home = '/root',
  adminPassword = LAB_ADMIN_PASSWORD,
): string {
  const { cert_path, key_path, ca_path } = certs(home, self.ip);
  const monitoring = { username: 'monitoringusername', password: s.monitoringPassword };
  const doc = {
    manager: {
      private_ip: self.ip,
      public_ip: self.ip,
      security: { ssl_enabled: true, admin_password: adminPassword },
      monitoring,
    },
    rabbitmq: {
      username: 'cloudify',
      password: s.rabbitPassword,
      ca_path,
      cluster_members: byName(peers.brokers, (n) => ({ networks: { default: n.ip } })),
      monitoring,
    },
    postgresql_server: {
      ca_path,
      postgres_password: s.postgresPassword,
      cluster: { nodes: byName(peers.databases, (n) => ({ ip: n.ip })) },
    },
    postgresql_client: {
      ssl_enabled: true,
      server_password: s.postgresPassword,
      ssl_client_verification: true,
      monitoring,
    },
    ...(peers.loadBalancer ? { networks: { 'load-balancer': peers.loadBalancer.ip } } : {}),
    ssl_inputs: {
      internal_cert_path: cert_path,
      internal_key_path: key_path,
      external_cert_path: cert_path,
      external_key_path: key_path,
      ca_cert_path: ca_path,
      external_ca_cert_path: ca_path,
      postgresql_client_cert_path: cert_path,
      postgresql_client_key_path: key_path,
    },
    prometheus: {
      blackbox_exporter: { ca_cert_path: ca_path },
      credentials: monitoring,
      cert_path,
      key_path,
      ca_path,
    },
    services_to_install: ['manager_service', 'monitoring_service'],
  };
  return stringify(doc);
}

/** "Management Service Load Balancer": HAProxy in front of the managers, with this node's certificate. */
export function lbConfig(self: GuideNode, managers: GuideNode[], home = '/root'): string {
  const doc = {
    manager: { private_ip: self.ip, public_ip: self.ip },
    load_balancer: {
      managers: byName(managers, (n) => ({ ip: n.ip })),
      ...certs(home, self.ip),
    },
    services_to_install: ['load_balancer_service'],
  };
  return stringify(doc);
}
