// The server processes' options: numeric flags (a bad value is one line naming the flag and the range),
// and the database and broker URLs, which must not carry a password on the command line.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ManagerConfig } from '../manager/config.js';

export function intOption(flag: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value.trim()) || n < min || n > max) {
    throw new Error(`${flag} must be a whole number from ${min} to ${max}, got "${value ?? ''}"`);
  }
  return n;
}

/**
 * The database or broker URL: from the environment (`STRATUS_DB_URL`, `STRATUS_AMQP_URL`), from a file
 * (`--db-url-file`, `--amqp-url-file`, e.g. mode 0600), or from the flag only when it holds no
 * password: the command line is in `ps` for every local user, and in process listings and logs.
 */
export function serverUrl(
  cmd: { getOptionValueSource(key: string): string | undefined },
  o: Record<string, string | undefined>,
  key: 'db' | 'amqp',
): string | undefined {
  const file = o[`${key}UrlFile`];
  const value = o[key];
  if (file) {
    if (value && cmd.getOptionValueSource(key) === 'cli')
      throw new Error(`--${key} and --${key}-url-file are both given: give one`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new Error(
        `--${key}-url-file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): give a file that holds the URL on one line`,
      );
    }
    if (!text) throw new Error(`--${key}-url-file ${file} is empty: it holds the URL on one line`);
    return text;
  }
  if (value && cmd.getOptionValueSource(key) === 'cli' && carriesPassword(value)) {
    const env = key === 'db' ? 'STRATUS_DB_URL' : 'STRATUS_AMQP_URL';
    throw new Error(
      `--${key} holds a password, which the command line shows to every local user (ps): give the URL in ${env} or in a file with --${key}-url-file`,
    );
  }
  return value;
}

/** `scheme://user:password@…`, or a password query parameter. */
function carriesPassword(url: string): boolean {
  return /^[a-z][\w+.-]*:\/\/[^/@?#]*:[^/@?#]*@/i.test(url) || /[?&](password|sslpassword)=/i.test(url);
}

/** The settings `serve` and `worker` take alike from the flags of registerServerOptions and the environment. */
export function sharedServerConfig(o: Record<string, string | undefined>): Partial<ManagerConfig> {
  return {
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    dbUrl: o.db,
    amqpUrl: o.amqp,
    amqpCa: o.amqpCa,
    amqpFollowRegistry: Boolean(o.amqpFollowRegistry),
    maxConcurrentWorkflows: intOption('--max-concurrent-workflows', o.maxConcurrentWorkflows, 1, 100_000),
    secretsKey: process.env.STRATUS_SECRETS_KEY,
    secretsKeyFile: process.env.STRATUS_SECRETS_KEY_FILE || undefined,
  };
}

/** The flags that reach the database and the brokers, shared by `serve` and `worker`. */
export function registerServerOptions(cmd: Command): Command {
  return cmd
    .option(
      '--db <url>',
      'PostgreSQL URL, several hosts allowed; one with a password only from env STRATUS_DB_URL or --db-url-file',
      process.env.STRATUS_DB_URL,
    )
    .option('--db-url-file <file>', 'read the PostgreSQL URL from this file (keep it mode 0600)')
    .option(
      '--amqp <url>',
      'RabbitMQ URL, several brokers allowed: amqps://user:pw@h1:5671,h2:5671,h3:5671/; one with a password only from env STRATUS_AMQP_URL or --amqp-url-file',
      process.env.STRATUS_AMQP_URL,
    )
    .option('--amqp-url-file <file>', 'read the RabbitMQ URL from this file (keep it mode 0600)')
    .option(
      '--amqp-ca <file>',
      "CA that signed the brokers' certificates, for amqps:// (env STRATUS_AMQP_CA)",
      process.env.STRATUS_AMQP_CA,
    )
    .option(
      '--amqp-follow-registry',
      'after a lost broker connection, try the brokers registered now (cfy cluster brokers) (env STRATUS_AMQP_FOLLOW_REGISTRY=true)',
      process.env.STRATUS_AMQP_FOLLOW_REGISTRY === 'true',
    );
}
