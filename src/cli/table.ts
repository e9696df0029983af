// PrettyTable-style rendering, as Cloudify prints it: centred headers, left-aligned cells, `+---+` rules.

/** Python's str.center, so headers sit exactly where PrettyTable puts them. */
export function center(text: string, width: number): string {
  const marg = width - text.length;
  if (marg <= 0) return text;
  const left = Math.floor(marg / 2) + (marg & width & 1);
  return ' '.repeat(left) + text + ' '.repeat(marg - left);
}

export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: string[], head: boolean) =>
    `|${cells.map((c, i) => ` ${head ? center(c, widths[i]!) : c.padEnd(widths[i]!)} `).join('|')}|`;
  return [rule, line(headers, true), rule, ...rows.map((r) => line(r, false)), rule].join('\n');
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?$/;

/** Cloudify's cell rules: ISO times as `YYYY-MM-DD HH:MM:SS.fff`, lists joined with `,`, null blank. */
export function formatCell(v: unknown): string {
  if (v === null || v === undefined || v === '') return '';
  if (typeof v === 'string') return ISO.test(v) ? formatTimestamp(v) : v;
  if (Array.isArray(v)) return v.map(formatCell).join(',');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function formatTimestamp(ts: string): string {
  const [date, time = ''] = ts.replace('Z', '').split('T');
  const [hms, frac = ''] = time.split('.');
  return `${date} ${hms}${frac ? `.${frac.slice(0, 3).padEnd(3, '0')}` : ''}`;
}
