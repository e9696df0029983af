// `lab status` as a table.
import type { NodeStatus } from './lab.js';

export function formatStatus(rows: NodeStatus[]): string {
  const table = [
    ['NODE', 'IP', 'ROLES', 'STATE', 'LINK', 'PID'],
    ...rows.map((r) => [
      r.name,
      r.ip,
      r.roles.join(',') || '-',
      r.state,
      r.link,
      r.pid ? String(r.pid) : '-',
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
