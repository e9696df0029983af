// The one error boundary of each bin main: whatever escapes becomes one line on stderr and exit 1,
// never a stack trace. Long-running processes (serve, worker) log through pino and come here only
// when they cannot start.
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] || err.name;
  return String(err);
}

export async function runMain(program: string, main: () => Promise<unknown>): Promise<void> {
  const fail = (err: unknown) => {
    process.stderr.write(`${program}: error: ${describeError(err)}\n`);
    process.exitCode = 1;
  };
  process.on('uncaughtException', (err) => {
    fail(err);
    process.exit(1);
  });
  try {
    await main();
  } catch (err) {
    fail(err);
  }
}
