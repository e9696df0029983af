// Console and file logging in Cloudify's format (reference §1.1):
// `<asctime> - [NAME] - LEVEL - message`. stdout gets INFO and up (DEBUG with -v), stderr gets ERROR and
// up as well; the file /var/log/cloudify/manager/cfy_manager.log (or ~/.cloudify/manager when not root)
// always gets DEBUG. Every secret the config holds is registered with `redact()` and replaced by
// `********` in both, so no password reaches a log.
import { appendFileSync, chownSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LOG_DIR_ROOT, LOG_FILE_NAME } from './paths.js';

export type Level = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR';
const RANK: Record<Level, number> = { DEBUG: 10, INFO: 20, NOTICE: 25, WARNING: 30, ERROR: 40 };

interface Sink {
  verbose: boolean;
  file: string | undefined;
  secrets: Set<string>;
  console: boolean;
}
const sink: Sink = { verbose: false, file: undefined, secrets: new Set(), console: true };

export function logFilePath(uid: number | undefined = process.getuid?.()): string {
  const dir = uid === 0 ? LOG_DIR_ROOT : join(homedir(), '.cloudify', 'manager');
  return join(dir, LOG_FILE_NAME);
}

/** Called once per command, before anything is logged. */
export function setupLogging(
  opts: { verbose?: boolean; file?: string | false; console?: boolean } = {},
): void {
  sink.verbose = Boolean(opts.verbose);
  sink.console = opts.console ?? true;
  if (opts.file === false) {
    sink.file = undefined;
    return;
  }
  const file = opts.file ?? logFilePath();
  try {
    const dir = join(file, '..');
    mkdirSync(dir, { recursive: true });
    const uid = process.getuid?.();
    const gid = process.getgid?.();
    if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
    sink.file = file;
  } catch {
    sink.file = undefined; // a read-only host: log to the console only
  }
}

/** Values that must never be written to a log (passwords, tokens, cookies). */
export function redact(...values: (string | undefined | null)[]): void {
  for (const v of values) if (typeof v === 'string' && v.length >= 3) sink.secrets.add(v);
}

export function scrub(text: string): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const s of [...sink.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('********');
  return out;
}

function stamp(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

export class Logger {
  constructor(readonly name: string) {}

  child(name: string): Logger {
    return new Logger(name);
  }

  log(level: Level, message: string): void {
    const line = `${stamp()} - [${this.name.toUpperCase()}] - ${level} - ${scrub(message)}`;
    if (sink.file) {
      try {
        appendFileSync(sink.file, `${line}\n`);
      } catch {
        sink.file = undefined;
      }
    }
    if (!sink.console) return;
    if (RANK[level] >= RANK.INFO || sink.verbose) process.stdout.write(`${line}\n`);
    if (RANK[level] >= RANK.ERROR) process.stderr.write(`${line}\n`);
  }
  debug(m: string): void {
    this.log('DEBUG', m);
  }
  info(m: string): void {
    this.log('INFO', m);
  }
  notice(m: string): void {
    this.log('NOTICE', m);
  }
  warning(m: string): void {
    this.log('WARNING', m);
  }
  error(m: string): void {
    this.log('ERROR', m);
  }
}

export const mainLog = new Logger('main');
