// `ctx`: the script plugin's client for the ctx proxy. Filled in by issue 4.
export async function main(_argv: string[]): Promise<void> {
  process.stderr.write('ctx: no ctx proxy in this environment (CTX_SOCKET_URL is not set)\n');
  process.exitCode = 1;
}
