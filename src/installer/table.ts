// The ASCII table of `dbs list` and `brokers list` (reference §1.4): every cell, headers included, centred
// exactly like CPython's str.center; column width is the longest cell + 2; list cells joined with ', '.

/** CPython `str.center(width)`: left pad = marg//2 + (marg & width & 1), right pad = the rest. */
export function pyCenter(s: string, width: number): string {
  const marg = width - s.length;
  if (marg <= 0) return s;
  const left = Math.floor(marg / 2) + (marg & width & 1);
  return ' '.repeat(left) + s + ' '.repeat(marg - left);
}

export type Cell = string | number | boolean | null | undefined | readonly string[];

function cellText(v: Cell): string {
  if (Array.isArray(v)) return v.join(', ');
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null || v === undefined) return 'None';
  return String(v);
}

export function formatTable(rows: Record<string, Cell>[], fields: string[]): string {
  const text = rows.map((r) => fields.map((f) => cellText(r[f])));
  const widths = fields.map((f, i) => Math.max(f.length + 2, ...text.map((r) => r[i]!.length + 2)));
  const divider = `+${widths.map((w) => '-'.repeat(w)).join('+')}+`;
  const line = (cells: string[]) => `|${cells.map((c, i) => pyCenter(c, widths[i]!)).join('|')}|`;
  return [divider, line(fields), divider, ...text.map(line), divider].join('\n');
}
