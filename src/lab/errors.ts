// Every lab failure the operator can act on: one line saying what is wrong, one saying how to fix it.
export class LabError extends Error {
  readonly fix: string | undefined;
  constructor(message: string, opts: { fix?: string } = {}) {
    super(message);
    this.name = 'LabError';
    this.fix = opts.fix;
  }
}

export function describeError(err: unknown): string {
  if (err instanceof LabError) return err.fix ? `${err.message}\n  fix: ${err.fix}` : err.message;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
