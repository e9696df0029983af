// Dates that come from a request: valid, and in the years PostgreSQL's timestamptz and ISO 8601 share.

/** True for a valid date from year 1 to year 9999 (`new Date('12345')` is year 12345: false). */
export function storableDate(d: Date): boolean {
  const t = d.getTime();
  if (Number.isNaN(t)) return false;
  const year = d.getUTCFullYear();
  return year >= 1 && year <= 9999;
}
