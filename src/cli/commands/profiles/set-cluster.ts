// `cfy profiles set-cluster NODE`: per-node SSH and certificate overrides.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Ctx } from '../../context.js';
import { usageError } from '../../errors.js';

export async function run(
  c: Ctx,
  o: { sshUser?: string; sshKey?: string; sshPort?: string; restCertificate?: string },
  nodeName: string,
): Promise<void> {
  const p = c.profile();
  const all = [...(p.cluster.manager ?? []), ...(p.cluster.broker ?? []), ...(p.cluster.db ?? [])];
  const node = all.find((n) => n.hostname === nodeName);
  if (!node)
    throw usageError(
      `Node ${nodeName} not found in the cluster`,
      `the profile knows: ${all.map((n) => n.hostname).join(', ') || 'no nodes'} (refresh with \`cfy cluster update-profile\`)`,
    );
  if (o.sshUser) node.ssh_user = o.sshUser;
  if (o.sshKey) node.ssh_key = resolve(o.sshKey);
  if (o.sshPort) node.ssh_port = Number(o.sshPort);
  if (o.restCertificate) {
    const ca = resolve(o.restCertificate);
    if (!existsSync(ca)) throw usageError(`The REST certificate ${ca} does not exist`);
    node.cert = ca;
    node.rest_protocol = 'https';
    node.trust_all = false;
  }
  c.store.save(p);
  c.out.info(`Node ${nodeName} updated successfully`);
}
