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
