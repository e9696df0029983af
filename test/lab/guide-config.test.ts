// The guide's config.yaml for managers and the load balancer, as `lab install` writes them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { deriveConfig } from '../../src/installer/config/derive.js';
import { deepMerge, finishConfig, packagedDefaults } from '../../src/installer/config/load.js';
import {
  GUIDE_SECRETS,
  type GuideNode,
  LAB_ADMIN_PASSWORD,
  lbConfig,
  managerConfig,
} from '../../src/lab/guide-config.js';

const dbs: GuideNode[] = [1, 2, 3].map((i) => ({ name: `db${i}`, ip: `10.9.0.1${i}` }));
const brokers: GuideNode[] = [1, 2, 3].map((i) => ({ name: `queue${i}`, ip: `10.9.0.1${i + 3}` }));
const managers: GuideNode[] = [1, 2, 3].map((i) => ({ name: `manager${i}`, ip: `10.9.0.1${i + 6}` }));
const lb: GuideNode = { name: 'lb', ip: '10.9.0.20' };
const ca = '/root/.cloudify-test-ca/ca.crt';
const crt = '/root/.cloudify-test-ca/10.9.0.18.crt';
const key = '/root/.cloudify-test-ca/10.9.0.18.key';

const manager2 = () =>
  parse(managerConfig(managers[1]!, { databases: dbs, brokers, loadBalancer: lb })) as Record<string, any>;

test("a manager's config.yaml is the guide's template for internal PostgreSQL and RabbitMQ, filled in", () => {
  const doc = manager2();
  const monitoring = { username: 'monitoringusername', password: GUIDE_SECRETS.monitoringPassword };
  assert.deepEqual(doc.manager, {
    private_ip: '10.9.0.18',
    public_ip: '10.9.0.18',
    security: { ssl_enabled: true, admin_password: LAB_ADMIN_PASSWORD },
    monitoring,
  });
  assert.equal(LAB_ADMIN_PASSWORD, 'admin-guide-password-1');
  assert.deepEqual(doc.rabbitmq, {
    username: 'cloudify',
    password: GUIDE_SECRETS.rabbitPassword,
    ca_path: ca,
    cluster_members: {
      queue1: { networks: { default: '10.9.0.14' } },
      queue2: { networks: { default: '10.9.0.15' } },
      queue3: { networks: { default: '10.9.0.16' } },
    },
    monitoring,
  });
  assert.deepEqual(doc.postgresql_server, {
    ca_path: ca,
    postgres_password: GUIDE_SECRETS.postgresPassword,
    cluster: { nodes: { db1: { ip: '10.9.0.11' }, db2: { ip: '10.9.0.12' }, db3: { ip: '10.9.0.13' } } },
  });
  assert.deepEqual(doc.postgresql_client, {
    ssl_enabled: true,
    server_password: GUIDE_SECRETS.postgresPassword,
    ssl_client_verification: true,
    monitoring,
  });
  assert.deepEqual(doc.networks, { 'load-balancer': '10.9.0.20' });
  assert.deepEqual(doc.ssl_inputs, {
    internal_cert_path: crt,
    internal_key_path: key,
    external_cert_path: crt,
    external_key_path: key,
    ca_cert_path: ca,
    external_ca_cert_path: ca,
    postgresql_client_cert_path: crt,
    postgresql_client_key_path: key,
  });
  assert.deepEqual(doc.prometheus, {
    blackbox_exporter: { ca_cert_path: ca },
    credentials: monitoring,
    cert_path: crt,
    key_path: key,
    ca_path: ca,
  });
  assert.deepEqual(doc.services_to_install, ['manager_service', 'monitoring_service']);
});

test("a manager's config.yaml is accepted by the installer's schema over the packaged defaults", () => {
  const c = deriveConfig(
    finishConfig(deepMerge(packagedDefaults(), manager2()), ['/etc/cloudify/config.yaml']),
  );
  assert.equal(c.manager.private_ip, '10.9.0.18');
  assert.deepEqual(c.services_to_install, ['manager_service', 'monitoring_service']);
  assert.deepEqual(Object.keys(c.postgresql_server.cluster.nodes), ['db1', 'db2', 'db3']);
  assert.equal(c.postgresql_client.ssl_client_verification, true);
});

test('without a load balancer in the topology a manager has no networks section', () => {
  const doc = parse(managerConfig(managers[0]!, { databases: dbs, brokers })) as Record<string, any>;
  assert.equal(doc.networks, undefined);
  assert.equal(doc.manager.private_ip, '10.9.0.17');
});

test("the load balancer's config.yaml lists the managers and its own certificate", () => {
  const doc = parse(lbConfig(lb, managers)) as Record<string, any>;
  assert.deepEqual(doc, {
    manager: { private_ip: '10.9.0.20', public_ip: '10.9.0.20' },
    load_balancer: {
      managers: {
        manager1: { ip: '10.9.0.17' },
        manager2: { ip: '10.9.0.18' },
        manager3: { ip: '10.9.0.19' },
      },
      cert_path: '/root/.cloudify-test-ca/10.9.0.20.crt',
      key_path: '/root/.cloudify-test-ca/10.9.0.20.key',
      ca_path: ca,
    },
    services_to_install: ['load_balancer_service'],
  });
});
