// The fixed component order of reference §2.4. Every command walks components in this order (remove in
// reverse), whatever order the registry lists them in. Names not registered are simply absent.
export const COMPONENT_ORDER = [
  'rsyslog',
  'haveged',
  'postgresqlserver',
  'rabbitmq',
  'manager',
  'postgresqlclient',
  'restservice',
  'nginx',
  'amqppostgres',
  'mgmtworker',
  'stage',
  'composer',
  'executionscheduler',
  'usagecollector',
  'cli',
  'loadbalancer', // Stratus addition (load_balancer_service)
  'prometheus',
  'sanity',
] as const;

export function orderIndex(name: string): number {
  const i = (COMPONENT_ORDER as readonly string[]).indexOf(name);
  return i < 0 ? COMPONENT_ORDER.length : i;
}
