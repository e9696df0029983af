// A topology names the nodes, their roles and IPs. Three are built in; a YAML file can describe any other.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { type Cidr, contains, formatIp, parseCidr, parseIp, cidrSize } from './cidr.js';
import { LabError } from './errors.js';

/** What a node runs once installed, as in the cluster guide. */
export type Role =
  | 'database' // PostgreSQL + Patroni + etcd
  | 'queue' // RabbitMQ
  | 'manager' // REST service, workers, UI
  | 'load_balancer'; // HAProxy in front of the managers

export interface LabNode {
  name: string; // also the hostname
  roles: Role[];
  ip: string;
}

export interface Topology {
  name: string;
  nodes: LabNode[];
}

const RoleSchema = z.enum(['database', 'queue', 'manager', 'load_balancer']);
const FileSchema = z.object({
  name: z.string().optional(),
  nodes: z
    .array(
      z.object({
        name: z.string(),
        roles: z.array(RoleSchema).default([]),
        ip: z.string().optional(),
      }),
    )
    .min(1),
});
export type TopologySpec = z.input<typeof FileSchema>;

const all: Role[] = ['database', 'queue', 'manager'];
export const BUILTIN: Record<string, TopologySpec> = {
  // The guide's best practice: three of each cluster, plus a load balancer.
  'best-practice': {
    nodes: [
      ...[1, 2, 3].map((i) => ({ name: `db${i}`, roles: ['database' as const] })),
      ...[1, 2, 3].map((i) => ({ name: `queue${i}`, roles: ['queue' as const] })),
      ...[1, 2, 3].map((i) => ({ name: `manager${i}`, roles: ['manager' as const] })),
      { name: 'lb', roles: ['load_balancer'] },
    ],
  },
  // Three nodes, each running all three services.
  compact: { nodes: [1, 2, 3].map((i) => ({ name: `node${i}`, roles: all })) },
  'all-in-one': { nodes: [{ name: 'manager', roles: all }] },
};
export const DEFAULT_TOPOLOGY = 'best-practice';

// RFC 1123 label, lower case so that the name, the hostname and the hosts entry are the same string.
const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** First node address: .1 is the host's end of the bridge, .2-.10 are kept free for later use. */
export const FIRST_NODE_OFFSET = 11;

export function loadTopology(nameOrFile: string | undefined, subnet: Cidr): Topology {
  const ref = nameOrFile ?? DEFAULT_TOPOLOGY;
  if (BUILTIN[ref]) return compileTopology(ref, BUILTIN[ref], subnet);
  let text: string;
  try {
    text = readFileSync(ref, 'utf8');
  } catch (err) {
    throw new LabError(`cannot read topology "${ref}": ${(err as Error).message}`, {
      fix: `give a YAML file or one of: ${Object.keys(BUILTIN).join(', ')}`,
    });
  }
  return compileTopology(ref, parse(text), subnet);
}

export function compileTopology(name: string, spec: unknown, subnet: Cidr): Topology {
  const parsed = FileSchema.safeParse(spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LabError(`topology ${name}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const gateway = subnet.base + 1;
  const last = subnet.base + cidrSize(subnet) - 2;
  const names = new Set<string>();
  const ips = new Map<number, string>();
  const nodes: LabNode[] = [];
  parsed.data.nodes.forEach((n, i) => {
    if (!HOSTNAME.test(n.name)) {
      throw new LabError(`node name "${n.name}" is not a valid hostname`, {
        fix: 'use lower-case letters, digits and inner hyphens, at most 63 characters',
      });
    }
    if (names.has(n.name)) throw new LabError(`node name "${n.name}" appears twice in the topology`);
    names.add(n.name);
    const ip = n.ip === undefined ? subnet.base + FIRST_NODE_OFFSET + i : parseIp(n.ip);
    if (!contains(subnet, ip) || ip === subnet.base || ip > last) {
      throw new LabError(`node ${n.name}: IP ${formatIp(ip)} is not a host address of the lab subnet`, {
        fix: `pick an address between ${formatIp(gateway + 1)} and ${formatIp(last)}`,
      });
    }
    if (ip === gateway) throw new LabError(`node ${n.name}: ${formatIp(ip)} is the host's bridge address`);
    const other = ips.get(ip);
    if (other) throw new LabError(`duplicate IP ${formatIp(ip)}: nodes ${other} and ${n.name}`);
    ips.set(ip, n.name);
    nodes.push({ name: n.name, roles: n.roles, ip: formatIp(ip) });
  });
  return { name: parsed.data.name ?? name, nodes };
}

export const subnetOf = (text: string): Cidr => parseCidr(text);
