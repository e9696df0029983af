// Side writes (login bookkeeping, a manager's last_seen) that must not hold a request while the database
// has no leader: the caller waits a bounded time, and the write finishes, or fails unseen, on its own.

/** Waits for `write` at most `ms` (default 2 s); never throws. */
export async function bounded(write: Promise<unknown>, ms = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    write.catch(() => {}),
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
    }),
  ]);
  clearTimeout(timer);
}
