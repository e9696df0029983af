// The lab network: one bridge on the host, one netns per node joined to it by a veth pair.
// No default route in any node, no NAT, no forwarding: traffic cannot leave the lab subnet.
import { readFileSync, statSync } from 'node:fs';
import { type Cidr, formatCidr, formatIp, overlaps, parseCidr } from './cidr.js';
import { LabError } from './errors.js';
import { run, runOk } from './run.js';

export interface Route {
  dst: string;
  dev?: string;
  table?: string;
  type?: string;
}

/** Routes that overlap the subnet, ignoring default routes and the lab's own bridge. */
export function overlappingRoutes(subnet: Cidr, routes: Route[], ownBridge: string): Route[] {
  return routes.filter((r) => {
    if (r.dst === 'default' || r.dev === ownBridge) return false;
    try {
      return overlaps(subnet, parseCidr(r.dst));
    } catch {
      return false; // not an IPv4 destination (multicast keywords, etc.)
    }
  });
}

export async function hostRoutes(): Promise<Route[]> {
  return JSON.parse(await runOk('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])) as Route[];
}

export async function refuseOverlap(subnet: Cidr, bridge: string): Promise<void> {
  const clash = overlappingRoutes(subnet, await hostRoutes(), bridge);
  if (clash.length > 0) {
    const r = clash[0]!;
    throw new LabError(
      `subnet ${formatCidr(subnet)} overlaps the existing route ${r.dst} dev ${r.dev ?? '?'}${r.table ? ` table ${r.table}` : ''}`,
      { fix: 'choose another subnet with --subnet (or STRATUS_LAB_SUBNET)' },
    );
  }
}

export async function linkNames(): Promise<Set<string>> {
  const links = JSON.parse(await runOk('ip', ['-j', 'link', 'show'])) as { ifname: string }[];
  return new Set(links.map((l) => l.ifname));
}

export async function netnsNames(): Promise<Set<string>> {
  const r = await run('ip', ['-j', 'netns', 'list']);
  if (r.code !== 0 || r.stdout.trim() === '') return new Set();
  return new Set((JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name));
}

/** ip -batch: one process for many changes, which is what keeps `up` of ten nodes fast. */
export async function ipBatch(lines: string[], netns?: string): Promise<void> {
  if (lines.length === 0) return;
  const args = netns ? ['-n', netns, '-batch', '-'] : ['-batch', '-'];
  await runOk('ip', args, { input: `${lines.join('\n')}\n` });
}

export function bridgeLines(bridge: string, subnet: Cidr): string[] {
  return [
    `link add ${bridge} type bridge`,
    `addr add ${formatIp(subnet.base + 1)}/${subnet.prefix} dev ${bridge}`,
    `link set ${bridge} up`,
  ];
}

export function netnsLines(netns: string, veth: string, bridge: string): string[] {
  return [
    `netns add ${netns}`,
    `link add ${veth} type veth peer name eth0 netns ${netns}`,
    `link set ${veth} master ${bridge} up`,
  ];
}

export function nodeAddressLines(ip: string, subnet: Cidr): string[] {
  return ['link set lo up', `addr replace ${ip}/${subnet.prefix} dev eth0`, 'link set eth0 up'];
}

/** Whether /run/netns is a mount point: `ip netns add` mounts it the first time, and down must undo that. */
export function runNetnsMounted(): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === '/run/netns');
}

export function netnsInode(netns: string): number | undefined {
  try {
    return statSync(`/run/netns/${netns}`).ino;
  } catch {
    return undefined;
  }
}

/** Cut or restore a node's only link, from the host side so the node itself cannot undo it. */
export async function setLink(veth: string, up: boolean): Promise<void> {
  await runOk('ip', ['link', 'set', veth, up ? 'up' : 'down']);
}

export async function linkIsUp(veth: string): Promise<boolean> {
  const r = await run('ip', ['-j', 'link', 'show', veth]);
  if (r.code !== 0) return false;
  const [l] = JSON.parse(r.stdout) as { flags: string[] }[];
  return Boolean(l?.flags.includes('UP'));
}
