// Parsing of the server processes' numeric flags: a bad value is one line naming the flag and the range.
export function intOption(flag: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value.trim()) || n < min || n > max) {
    throw new Error(`${flag} must be a whole number from ${min} to ${max}, got "${value ?? ''}"`);
  }
  return n;
}
