// Every wait in the lab is a deadline: poll a probe until it is accepted or time runs out. No fixed sleeps.
export class DeadlineError extends Error {
  constructor(
    readonly what: string,
    readonly ms: number,
    readonly last: unknown,
  ) {
    super(`${what}: not reached within ${ms} ms (last value: ${JSON.stringify(last) ?? String(last)})`);
    this.name = 'DeadlineError';
  }
}

export async function within<T>(
  ms: number,
  probe: () => T | Promise<T>,
  accept: (value: T) => boolean = Boolean,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  let pause = 10;
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      if (accept(last)) return last;
    } catch (err) {
      last = (err instanceof Error ? err.message : err) as T;
    }
    if (Date.now() >= deadline) throw new DeadlineError(what, ms, last);
    await new Promise((r) => setTimeout(r, Math.min(pause, Math.max(1, deadline - Date.now()))));
    pause = Math.min(pause * 2, 200);
  }
}

export const isOneOf =
  <T>(...values: T[]) =>
  (v: T): boolean =>
    values.includes(v);
