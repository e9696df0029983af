// The snapshot archive (decision 28): one gzip stream of JSON lines. The first line is the metadata
// (format, Stratus schema version, created_at, what it includes); each next line is a page of one
// table's rows: {"table": name, "rows": [...]}.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Row } from '../port.js';

export const ARCHIVE_FORMAT = 'stratus-snapshot';
export const ARCHIVE_VERSION = 1;

export interface SnapshotMetadata {
  format: typeof ARCHIVE_FORMAT;
  archive_version: number;
  /** The last migration of the manager that made it: a restore needs the same schema. */
  schema_version: number;
  snapshot_id: string;
  created_at: string;
  include_events: boolean;
  include_logs: boolean;
  /** How secret values are held: in clear (the restoring manager encrypts them with its own key). */
  secrets: 'plain';
  tables: Record<string, number>;
}

export class SnapshotArchiveWriter {
  private readonly lines: string[] = [];
  readonly tables: Record<string, number> = {};

  add(table: string, rows: Row[]): void {
    this.tables[table] = (this.tables[table] ?? 0) + rows.length;
    this.lines.push(JSON.stringify({ table, rows }));
  }

  finish(meta: Omit<SnapshotMetadata, 'tables' | 'format' | 'archive_version'>): Buffer {
    const head: SnapshotMetadata = {
      format: ARCHIVE_FORMAT,
      archive_version: ARCHIVE_VERSION,
      ...meta,
      tables: this.tables,
    };
    return gzipSync(Buffer.from([JSON.stringify(head), ...this.lines].join('\n'), 'utf8'));
  }
}

export interface ReadArchive {
  metadata: SnapshotMetadata;
  pages: { table: string; rows: Row[] }[];
}

const BAD = 'The file is not a Stratus snapshot archive';

/** Reads an archive; a file that is not one throws one line that says so. */
export function readSnapshotArchive(archive: Buffer): ReadArchive {
  let text: string;
  try {
    text = gunzipSync(archive).toString('utf8');
  } catch {
    throw new Error(`${BAD} (it is not gzip data); upload a file made by \`cfy snapshots download\``);
  }
  const lines = text.split('\n');
  let metadata: SnapshotMetadata;
  const pages: ReadArchive['pages'] = [];
  try {
    metadata = JSON.parse(lines[0] ?? '') as SnapshotMetadata;
    for (const l of lines.slice(1)) if (l) pages.push(JSON.parse(l) as ReadArchive['pages'][number]);
  } catch {
    throw new Error(`${BAD} (its content is damaged); upload a file made by \`cfy snapshots download\``);
  }
  if (metadata?.format !== ARCHIVE_FORMAT || typeof metadata.schema_version !== 'number')
    throw new Error(`${BAD} (no Stratus metadata); upload a file made by \`cfy snapshots download\``);
  if (metadata.archive_version > ARCHIVE_VERSION)
    throw new Error(
      `The snapshot archive is of a newer format (${metadata.archive_version}); restore it on a newer Stratus`,
    );
  for (const p of pages)
    if (typeof p?.table !== 'string' || !Array.isArray(p.rows))
      throw new Error(`${BAD} (a table page is malformed); upload a file made by \`cfy snapshots download\``);
  return { metadata, pages };
}

/** The metadata line only (upload checks), without parsing every page. */
export function readSnapshotMetadata(archive: Buffer): SnapshotMetadata {
  return readSnapshotArchive(archive).metadata;
}
