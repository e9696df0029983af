// deployment_settings (elements/misc.py DeploymentSettings, elements/deployment_schedules.py): the
// section's schema, and the default schedules checked and normalised as the reference does: `since` and
// `until` become naive UTC `YYYY-MM-DD HH:MM:SS` (relative `+1d` expressions are kept), `timezone` is
// consumed, `recurrence` and `weekdays` are validated, and workflow parameters hold no get_attribute.
import { DslError, plainError } from './errors.js';
import { opt, req, type Schema } from './schema.js';

const SCHEDULE: Schema = {
  dict: {
    workflow: req('string'),
    execution_arguments: opt({
      dict: {
        force: opt('boolean'),
        is_dry_run: opt('boolean'),
        wait_after_fail: opt('integer'),
        allow_custom_parameters: opt('boolean'),
      },
    }),
    workflow_parameters: opt('dict'),
    since: req('string'),
    until: opt('string'),
    recurrence: opt('string'),
    timezone: opt('string'),
    weekdays: opt({ list: 'string' }),
    count: opt('integer'),
    default_enabled: opt('boolean'),
    stop_after_fail: opt('boolean'),
    slip: opt('integer'),
  },
};

export const DEPLOYMENT_SETTINGS_SCHEMA: Schema = {
  dict: {
    default_schedules: opt({ mapOf: SCHEDULE }),
    default_groups: opt('list'),
    id_template: opt('string'),
    display_name: opt({ oneOf: ['dict', 'string'] }),
  },
};

const TIMEDELTA = /^(\d+) ?(min(ute)?|h(our)?|d(ay)?|w(eek)?|mo(nth)?|y(ear)?)s?$/;
const WEEKDAYS = ['su', 'mo', 'tu', 'we', 'th', 'fr', 'sa'];

const nonRecoverable = (m: string) => plainError('NonRecoverableError', m);

function checkTimedelta(expr: string): void {
  if (!TIMEDELTA.test(expr)) throw nonRecoverable(`${expr} is not a legal time delta`);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const fmt = (d: Date) =>
  `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;

/** The wall-clock time of `utcMs` in `tz`, as milliseconds of a UTC date with the same fields. */
function wallMs(utcMs: number, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(utcMs));
  const v = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return Date.UTC(v('year'), v('month') - 1, v('day'), v('hour'), v('minute'), v('second'));
}

/** cloudify.utils.parse_utc_datetime_absolute: `YYYY-MM-DD HH:MM` or `HH:MM` (today) to naive UTC. */
function absoluteToUtc(expr: string, tz: string | undefined): string {
  const full = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2})$/.exec(expr);
  const short = /^(\d{1,2}):(\d{1,2})$/.exec(expr);
  const now = new Date();
  const f = full
    ? full.slice(1).map(Number)
    : short
      ? [now.getFullYear(), now.getMonth() + 1, now.getDate(), Number(short[1]), Number(short[2])]
      : undefined;
  if (!f || f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59)
    throw nonRecoverable(`${expr} is not a legal time format. accepted formats are YYYY-MM-DD HH:MM | HH:MM`);
  const [y, mo, d, h, mi] = f;
  if (tz === undefined) return fmt(new Date(new Date(y, mo - 1, d, h, mi).getTime())); // local wall time
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw nonRecoverable(`${tz} is not a recognized timezone`);
  }
  const asUtc = Date.UTC(y, mo - 1, d, h, mi);
  let utc = asUtc - (wallMs(asUtc, tz) - asUtc);
  utc = asUtc - (wallMs(utc, tz) - utc);
  return fmt(new Date(utc));
}

function timeExpression(expr: string, tz: string | undefined): string {
  if (!expr.startsWith('+')) return absoluteToUtc(expr, tz);
  for (const m of expr.match(/\+\d+ ?[a-z]+ ?/g) ?? []) checkTimedelta(m.slice(1));
  return expr;
}

function checkSchedule(name: string, s: Record<string, any>): Record<string, any> {
  if (s.recurrence) checkTimedelta(s.recurrence);
  for (const w of s.weekdays ?? []) {
    const day = String(w).toLowerCase().slice(-2);
    if (!WEEKDAYS.includes(day))
      throw new DslError(
        1,
        `${day} is not a valid weekday value. Accepted values: [${WEEKDAYS.map((x) => `'${x}'`).join(', ')}]`,
        'DSLParsingException',
      );
  }
  const params = s.workflow_parameters;
  if (params && typeof params === 'object') {
    const why = 'get_attribute' in params ? ['be', ''] : undefined;
    const inValue = Object.entries(params).find(
      ([, v]) => v !== null && typeof v === 'object' && !Array.isArray(v) && 'get_attribute' in v,
    );
    const [verb, from] = why ?? (inValue ? ['contain', ` from the value of ${inValue[0]}`] : []);
    if (verb !== undefined)
      throw new DslError(
        1,
        `\`workflow_parameters\` of schedule '${name}' cannot ${verb} a runtime property. Please remove the \`get_attribute\` function${from}`,
        'DSLParsingException',
      );
  }
  const out: Record<string, any> = { ...s, since: timeExpression(s.since, s.timezone ?? undefined) };
  if (s.until) out.until = timeExpression(s.until, s.timezone ?? undefined);
  delete out.timezone;
  return out;
}

/** The section as the plan holds it (schema already validated); a written section has default_schedules. */
export function parseDeploymentSettings(ds: Record<string, any>): Record<string, any> {
  if (!ds.default_schedules || typeof ds.default_schedules !== 'object')
    return { ...ds, default_schedules: {} };
  return {
    ...ds,
    default_schedules: Object.fromEntries(
      Object.entries<any>(ds.default_schedules).map(([k, s]) => [k, checkSchedule(k, s)]),
    ),
  };
}
