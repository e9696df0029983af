// What the engine needs from the outside world. Both are injected so that the same input
// always produces the same output (tests pass a fixed clock and a counter).

/** Wall-clock time in milliseconds since the epoch; only used to stamp events and retry due times. */
export interface Clock {
  now(): number;
}

/** Source of operation ids for new task graphs. Ids must be unique within an execution. */
export interface IdSource {
  next(): string;
}

/** A counter id source (`op-1`, `op-2`, …) for tests and benchmarks. */
export function counterIds(prefix = 'op-'): IdSource {
  let n = 0;
  return { next: () => `${prefix}${++n}` };
}

export function fixedClock(ms = Date.UTC(2026, 0, 1)): Clock & { advance(by: number): void } {
  let t = ms;
  return {
    now: () => t,
    advance: (by) => {
      t += by;
    },
  };
}
