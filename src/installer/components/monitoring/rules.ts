// The rule files a manager's Prometheus evaluates (cfy_manager.md §7.4): the recording rules that
// GET /cluster-status reads (<type>_healthy, <type>_service) and the alerts, with Stratus's supervisord
// program names; the *_missing.yml files alert on a node whose metrics are absent.
import { stringify } from 'yaml';
import { isDbCluster } from '../../config/derive.js';
import type { Config } from '../../config/schema.js';
import { PROGRAM as RABBIT_PROGRAM } from '../queue/files.js';
import { PROGRAMS as MANAGER_PROGRAMS } from '../manager/render.js';
import { SINGLE_PROGRAM as PG_SINGLE_PROGRAM } from '../database/single.js';
import { httpProbes, otherManagers, postgresAddresses, rabbitAddresses } from './render.js';
import { alertFor, PROGRAMS } from './settings.js';

type Rule = Record<string, unknown>;

const HEADER = '# Written by cfy_manager (monitoring_service); the next configure rewrites it.\n';
const group = (name: string, rules: Rule[]) => `${HEADER}${stringify({ groups: [{ name, rules }] })}`;

/** The supervisord programs each node type is expected to run (Stratus's names). */
export function servicePrograms(config: Config): Record<'manager' | 'postgres' | 'rabbitmq', string[]> {
  const postgres = ['etcd', 'patroni', PROGRAMS.node, PROGRAMS.postgres];
  if (!isDbCluster(config)) postgres.push(PG_SINGLE_PROGRAM);
  return {
    manager: [...MANAGER_PROGRAMS, PROGRAMS.blackbox, PROGRAMS.node, PROGRAMS.prometheus],
    postgres,
    rabbitmq: [PROGRAMS.node, RABBIT_PROGRAM],
  };
}

function serviceRules(type: string, programs: string[]): Rule[] {
  return [
    {
      record: `${type}_service_supervisord`,
      expr: `sum by (host, name) (node_supervisord_up{name=~"(${programs.join('|')})"})`,
      labels: { process_manager: 'supervisord' },
    },
    { record: `${type}_service`, expr: `${type}_service_supervisord` },
  ];
}

function alert(name: string, expr: string, forDuration: string, severity: string, summary: string): Rule {
  return { alert: name, expr, for: forDuration, labels: { severity }, annotations: { summary } };
}

export interface RuleFile {
  name: string;
  text: string;
}

/** manager.yml, postgres.yml, rabbitmq.yml and the three *_missing.yml. */
export function ruleFiles(config: Config): RuleFile[] {
  const f = alertFor(config.prometheus.scrape_interval);
  const progs = servicePrograms(config);
  const on = '(host {{ $labels.host }})';
  const svc = 'System service {{ $labels.name }} is down on {{ $labels.host }}.';
  const manager = group('manager', [
    {
      record: 'manager_healthy',
      expr: `count by (host, monitor) (sum by (host, monitor) (probe_success) == ${httpProbes(config).length})`,
    },
    ...serviceRules('manager', progs.manager),
    alert('manager_down', 'probe_success == 0', f, 'critical', `Manager is down ${on}`),
    alert(
      'blackbox_exporter_down',
      'up{job=~"http_200"} == 0',
      f,
      'critical',
      `Blackbox Exporter is down ${on}`,
    ),
    {
      ...alert(
        'manager_service_down',
        'manager_service == 0',
        f,
        'warning',
        `A manager service is down ${on}`,
      ),
      annotations: { summary: `A manager service is down ${on}`, description: svc },
    },
  ]);
  const postgres = group('postgres', [
    { record: 'postgres_healthy', expr: 'pg_up{job="postgresql"} == 1 and up{job="postgresql"} == 1' },
    ...serviceRules('postgres', progs.postgres),
    alert('postgres_down', 'pg_up == 0', f, 'critical', `PostgreSQL is down ${on}`),
    alert(
      'postgres_exporter_down',
      'up{job="postgresql"} == 0',
      f,
      'critical',
      `PostgreSQL Exporter is down ${on}`,
    ),
    {
      ...alert(
        'postgres_service_down',
        'postgres_service == 0',
        f,
        'warning',
        `A db node service is down ${on}`,
      ),
      annotations: { summary: `A db node service is down ${on}`, description: svc },
    },
  ]);
  const rabbitmq = group('rabbitmq', [
    { record: 'rabbitmq_healthy', expr: 'sum by (host, instance, job, monitor) (up{job="rabbitmq"}) == 1' },
    ...serviceRules('rabbitmq', progs.rabbitmq),
    alert('rabbitmq_down', 'up{job="rabbitmq"} == 0', f, 'critical', `RabbitMQ is down ${on}`),
    {
      ...alert(
        'rabbitmq_service_down',
        'rabbitmq_service == 0',
        f,
        'warning',
        `A broker node service is down ${on}`,
      ),
      annotations: { summary: `A broker node service is down ${on}`, description: svc },
    },
  ]);
  const hosts = expectedHosts(config);
  return [
    { name: 'manager.yml', text: manager },
    { name: 'postgres.yml', text: postgres },
    { name: 'rabbitmq.yml', text: rabbitmq },
    { name: 'manager_missing.yml', text: missing('manager', hosts.manager, f) },
    { name: 'postgres_missing.yml', text: missing('postgres', hosts.postgres, f) },
    { name: 'rabbitmq_missing.yml', text: missing('rabbitmq', hosts.rabbitmq, f) },
  ];
}

/** Who must report: every manager; the DB and broker nodes of the config, or this node when none is listed. */
export function expectedHosts(config: Config): Record<'manager' | 'postgres' | 'rabbitmq', string[]> {
  const self = config.manager.private_ip;
  const or = (xs: string[]) => (xs.length > 0 ? xs : [self]);
  return {
    manager: [self, ...otherManagers(config)],
    postgres: or(postgresAddresses(config)),
    rabbitmq: or(rabbitAddresses(config)),
  };
}

/** <name>_missing.yml: absent(<name>_healthy{host}) and absent(up{host, job="prometheus"}) per host. */
export function missing(name: string, hosts: string[], forDuration: string): string {
  const cap = name.charAt(0).toUpperCase() + name.slice(1);
  const rules = hosts.flatMap((h) => [
    alert(
      `${name}_missing`,
      `absent(${name}_healthy{host="${h}"})`,
      forDuration,
      'critical',
      `${cap} is missing on node ${h}`,
    ),
    alert(
      'prometheus_missing',
      `absent(up{host="${h}", job="prometheus"})`,
      forDuration,
      'critical',
      `Prometheus is missing on node ${h}`,
    ),
  ]);
  return group(name, rules);
}
