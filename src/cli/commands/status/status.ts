// `cfy status` (cfy-cli.md A.7): GET /status, a `service | status` table; --json prints the document.
import type { Ctx } from '../../context.js';

export async function run(c: Ctx): Promise<void> {
  const p = c.profile();
  const client = c.client();
  c.out.info(`Retrieving manager services status... [ip=${p.manager_ip}]`);
  const status = await client.manager.status();
  if (c.out.json) return c.out.jsonValue(status);
  const rows = Object.entries(status.services ?? {}).map(([name, s]) => ({
    service: name.padEnd(30),
    status: s.status,
  }));
  c.out.table('Services:', ['service', 'status'], rows);
  try {
    const m = await client.call<{ status?: string }>({ method: 'GET', path: '/maintenance' });
    if (m?.status && m.status !== 'deactivated') c.out.info(`Maintenance mode is ${m.status}.`);
  } catch {
    // maintenance mode is not served by every manager
  }
}
