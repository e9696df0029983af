// The server processes refuse a database or broker URL with a password on their command line (ps shows
// it to every local user): tests and benches that build `--db <url>` / `--amqp <url>` command lines
// pass those URLs in the environment instead, as the installer's env files do.

export function urlsToEnv(args: readonly string[]): { args: string[]; env: Record<string, string> } {
  const out: string[] = [];
  const env: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = a === '--db' ? 'STRATUS_DB_URL' : a === '--amqp' ? 'STRATUS_AMQP_URL' : undefined;
    if (name && i + 1 < args.length) env[name] = args[++i]!;
    else out.push(a);
  }
  return { args: out, env };
}
