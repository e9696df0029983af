// `cfy cluster remove HOSTNAME`: unregister a manager (DELETE /managers/<hostname>).
import type { Ctx } from '../../context.js';

export async function run(c: Ctx, _o: unknown, hostname: string): Promise<void> {
  const client = c.client();
  await client.manager.removeManager(hostname);
  const p = c.store.load(c.profile().name);
  if (p?.cluster.manager) {
    p.cluster.manager = p.cluster.manager.filter((m) => m.hostname !== hostname);
    c.store.save(p);
  }
  c.out.info(`Node ${hostname} was removed successfully!`);
}
