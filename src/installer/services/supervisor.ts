// Every service is a supervisord program (reference §8), in /etc/supervisord.d/<name>.cloudify.conf.
// Debian's supervisor reads /etc/supervisor/supervisord.conf; a lab node's init already includes
// /etc/supervisord.d/*.conf, and on a plain host we add that include once. Operations go through
// supervisorctl: `update` enables, `start`/`stop`/`restart` update first, `status` verifies.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../errors.js';
import { run } from '../exec.js';
import { Logger } from '../log.js';
import { SUPERVISORD_DIR } from '../paths.js';

const log = new Logger('supervisor');
export const SUPERVISORD_CONF = '/etc/supervisor/supervisord.conf';

export interface Program {
  name: string;
  command: string;
  user?: string;
  directory?: string;
  environment?: Record<string, string>;
  autorestart?: boolean | 'unexpected';
  startsecs?: number;
  stopwaitsecs?: number;
  stopsignal?: string;
  /** stdout and stderr go to this file (supervisord rotates it). */
  logFile: string;
  umask?: string;
  exitcodes?: string;
  minfds?: number;
}

export const programFile = (name: string) => join(SUPERVISORD_DIR, `${name}.cloudify.conf`);

const envValue = (v: string) =>
  `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('%', '%%')}"`;

export function renderProgram(p: Program): string {
  const lines = [
    `[program:${p.name}]`,
    `command=${p.command}`,
    `user=${p.user ?? 'root'}`,
    `autostart=true`,
    `autorestart=${p.autorestart ?? true}`,
    `startsecs=${p.startsecs ?? 1}`,
    `stopwaitsecs=${p.stopwaitsecs ?? 30}`,
    `stopsignal=${p.stopsignal ?? 'TERM'}`,
    'stopasgroup=true',
    'killasgroup=true',
    `redirect_stderr=true`,
    `stdout_logfile=${p.logFile}`,
    'stdout_logfile_maxbytes=50MB',
    'stdout_logfile_backups=5',
  ];
  if (p.directory) lines.push(`directory=${p.directory}`);
  if (p.umask) lines.push(`umask=${p.umask}`);
  if (p.exitcodes) lines.push(`exitcodes=${p.exitcodes}`);
  if (p.environment) {
    lines.push(
      `environment=${Object.entries(p.environment)
        .map(([k, v]) => `${k}=${envValue(v)}`)
        .join(',')}`,
    );
  }
  return `; Written by cfy_manager. Do not edit: the next configure rewrites it.\n${lines.join('\n')}\n`;
}

/** Our supervisord's socket: `file=` of [unix_http_server] in its config (Debian: /var/run/supervisor.sock). */
export function supervisordSocket(conf = SUPERVISORD_CONF): string {
  const text = existsSync(conf) ? readFileSync(conf, 'utf8') : '';
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s;.*$/, '').trim();
    const head = /^\[(.+)\]$/.exec(line);
    if (head) section = head[1]!.trim();
    else if (section === 'unix_http_server' && /^file\s*=/.test(line)) return line.split('=')[1]!.trim();
  }
  return '/var/run/supervisor.sock';
}

const ctl = (...args: string[]) => ['supervisorctl', '-c', SUPERVISORD_CONF, ...args];

/** supervisord running and including /etc/supervisord.d (started here on a host that has none). */
export async function ensureSupervisord(): Promise<void> {
  mkdirSync(SUPERVISORD_DIR, { recursive: true });
  if (!existsSync(SUPERVISORD_CONF)) {
    throw new ValidationError(`${SUPERVISORD_CONF} not found`, { fix: 'apt-get install supervisor' });
  }
  const conf = readFileSync(SUPERVISORD_CONF, 'utf8');
  if (!conf.includes(`${SUPERVISORD_DIR}/*.conf`)) {
    writeFileSync(SUPERVISORD_CONF, `${conf}\n[include]\nfiles = ${SUPERVISORD_DIR}/*.conf\n`);
    log.info(`Added ${SUPERVISORD_DIR}/*.conf to ${SUPERVISORD_CONF}`);
  }
  const status = await run(ctl('pid'), { ignoreFailure: true });
  if (status.code !== 0 || !/^\d+$/.test(status.stdout.trim())) {
    log.info('Starting supervisord');
    await run(['supervisord', '-c', SUPERVISORD_CONF]);
  }
}

export function writeProgram(p: Program): void {
  mkdirSync(join(p.logFile, '..'), { recursive: true });
  writeFileSync(programFile(p.name), renderProgram(p), { mode: 0o644 });
}

/** reread + update: new or changed programs are (re)started, removed ones stopped. */
export async function update(): Promise<void> {
  await run(ctl('reread'));
  await run(ctl('update'));
}

export async function start(name: string): Promise<void> {
  await update();
  await run(ctl('start', name), { ignoreFailure: true });
  await verifyAlive(name);
}

export async function restart(name: string): Promise<void> {
  await update();
  const r = await run(ctl('restart', name), { ignoreFailure: true });
  if (r.code !== 0) log.debug(`restart ${name}: ${r.stdout.trim()}`);
  await verifyAlive(name);
}

export async function signal(name: string, sig: string): Promise<void> {
  await run(ctl('signal', sig, name));
}

export async function stop(name: string): Promise<void> {
  if (!existsSync(programFile(name))) return;
  await run(ctl('stop', name), { ignoreFailure: true, timeoutMs: 120_000 });
}

export async function status(name: string): Promise<string> {
  const r = await run(ctl('status', name), { ignoreFailure: true });
  return r.stdout.trim().split(/\s+/)[1] ?? 'UNKNOWN';
}

export async function isActive(name: string): Promise<boolean> {
  return ['RUNNING', 'STARTING'].includes(await status(name));
}

/** `status <name>` says RUNNING, 3 tries 1 s apart (reference §8). */
export async function verifyAlive(name: string): Promise<void> {
  for (let i = 0; i < 3; i++) {
    if ((await status(name)) === 'RUNNING') return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new ValidationError(`${name} is not running`);
}

/** stop + remove from supervisord + delete the file. */
export async function removeProgram(name: string): Promise<void> {
  if (!existsSync(programFile(name))) return;
  await stop(name);
  rmSync(programFile(name), { force: true });
  await update();
}
