// All output goes through one Output object, chosen once from the global flags (style §6.16).
// Plain mode: results and info on stdout, warnings and errors on stderr. JSON mode (--json or
// --format json): stdout carries only JSON, every log line goes to stderr. Progress only on a TTY.
import { formatCell, renderTable } from './table.js';

export interface Column {
  key: string;
  /** Header in tables and the key in JSON; defaults to `key`. */
  label?: string;
  /** Value for the cell; defaults to row[key]. */
  get?: (row: any) => unknown;
}

export type ColumnSpec = string | Column;

export interface OutputOptions {
  json: boolean;
  verbose: number;
  quiet?: boolean;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream;
}

const col = (c: ColumnSpec): Column => (typeof c === 'string' ? { key: c } : c);

export class Output {
  readonly json: boolean;
  readonly verbose: number;
  readonly quiet: boolean;
  private readonly out: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly err: NodeJS.WritableStream;
  private progressShown = false;

  constructor(o: OutputOptions) {
    this.json = o.json;
    this.verbose = o.verbose;
    this.quiet = o.quiet ?? false;
    this.out = o.stdout ?? process.stdout;
    this.err = o.stderr ?? process.stderr;
  }

  get isTTY(): boolean {
    return Boolean(this.out.isTTY) && !this.json;
  }

  private write(stream: NodeJS.WritableStream, text: string): void {
    this.clearProgress();
    stream.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A log line: stdout in plain mode, stderr under --json. */
  info(msg: string): void {
    if (this.quiet) return;
    this.write(this.json ? this.err : this.out, msg);
  }

  warn(msg: string): void {
    this.write(this.err, msg);
  }

  error(msg: string): void {
    this.write(this.err, msg);
  }

  /** Shown with -v (or -vv for level 2). */
  debug(msg: string, level = 1): void {
    if (this.verbose >= level) this.write(this.err, msg);
  }

  /** A result line that belongs on stdout in plain mode (not a log). */
  print(text: string): void {
    this.write(this.out, text);
  }

  /** Any JSON document, pretty-printed, on stdout. */
  jsonValue(value: unknown): void {
    this.write(this.out, JSON.stringify(value, null, 2));
  }

  /** Cloudify's JSON list: `[`, one compact object per line joined by `,\n`, `]`. */
  jsonList(items: unknown[]): void {
    this.write(this.out, items.length ? `[\n${items.map((i) => JSON.stringify(i)).join(',\n')}\n]` : '[]');
  }

  private project(row: any, columns: ColumnSpec[]): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const c of columns.map(col)) {
      const v = c.get ? c.get(row) : row?.[c.key];
      o[c.label ?? c.key] = v === undefined ? null : v;
    }
    return o;
  }

  /**
   * A list result: a titled table plus "Showing X of Y <what>" in plain mode, the JSON list (only the
   * table's columns, labels as keys) under --json.
   */
  table(
    title: string,
    columns: ColumnSpec[],
    rows: any[],
    o: { total?: number; what?: string; extra?: (row: any) => Record<string, unknown> } = {},
  ): void {
    if (this.json) {
      this.jsonList(rows.map((r) => ({ ...this.project(r, columns), ...o.extra?.(r) })));
      return;
    }
    const cols = columns.map(col);
    const cells = rows.map((r) =>
      cols.map((c) => {
        const v = c.get ? c.get(r) : r?.[c.key];
        return v === undefined && !c.get && r && !(c.key in r) ? 'N/A' : formatCell(v);
      }),
    );
    this.print(
      `\n${title}\n${renderTable(
        cols.map((c) => c.label ?? c.key),
        cells,
      )}\n`,
    );
    if (o.what !== undefined) this.info(`Showing ${rows.length} of ${o.total ?? rows.length} ${o.what}`);
  }

  /** One record as a one-row table (plain) or one JSON object. */
  single(title: string, columns: ColumnSpec[], row: any, extra?: Record<string, unknown>): void {
    if (this.json) {
      this.jsonValue({ ...this.project(row, columns), ...extra });
      return;
    }
    this.table(title, columns, [row]);
  }

  /** Tab-indented `key: value` lines under a title (print_details). */
  details(title: string, obj: Record<string, unknown>): void {
    if (this.json) {
      this.jsonValue(obj);
      return;
    }
    const lines = Object.entries(obj).map(
      ([k, v]) =>
        `\t${`${k}:`.padEnd(16)} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : formatCell(v)}`,
    );
    this.print(`${title}\n${lines.join('\n')}\n`);
  }

  /** A one-line live status, redrawn in place; only on a terminal. */
  progress(text: string): void {
    if (!this.isTTY) return;
    this.out.write(`\r\x1b[2K${text}`);
    this.progressShown = true;
  }

  clearProgress(): void {
    if (!this.progressShown) return;
    this.progressShown = false;
    this.out.write('\r\x1b[2K');
  }
}
