// Cloudify's event line (cloudify-common `Event.__str__`):
//   <timestamp>  <CFY|LOG> <deployment_id> [<node_instance>.<operation>] <message>
// The timestamp keeps its milliseconds and the `Z` becomes a space (hence two spaces); the deployment
// id is in angle brackets; logs carry their level (`INFO: …`); only the last segment of the operation.
import type { CloudifyEvent } from './client/types.js';

export function eventText(e: CloudifyEvent): string {
  const m = e.message;
  return typeof m === 'string' ? m : (m?.text ?? '');
}

export const isLog = (e: CloudifyEvent): boolean => String(e.type).includes('log');

export function formatEvent(e: CloudifyEvent, verbose = 0): string | null {
  if (isLog(e) && String(e.level).toLowerCase() === 'debug' && verbose < 2) return null;
  const ts = String(e['@timestamp'] ?? e.reported_timestamp ?? e.timestamp ?? '')
    .replace('T', ' ')
    .replace(/Z$/, '');
  const kind = isLog(e) ? 'LOG' : 'CFY';
  const op = e.operation ? String(e.operation).split('.').at(-1) : undefined;
  let info: string;
  if (e.source_id) info = `${e.source_id}->${e.target_id}|${op}`;
  else info = [e.node_instance_id ?? e.node_name, op].filter((x) => x).join('.');
  let text = eventText(e);
  if (isLog(e)) text = `${String(e.level ?? 'info').toUpperCase()}: ${text}`;
  if ((e.event_type === 'task_failed' || e.event_type === 'task_rescheduled') && e.error_causes?.length) {
    for (const c of e.error_causes) {
      if (c.traceback) text += `\n${c.traceback}`;
      else if (c.message) text += `\n${c.type ? `${c.type}: ` : ''}${c.message}`;
    }
  }
  return `${ts}  ${kind} <${e.deployment_id ?? ''}> ${info ? `[${info}] ` : ''}${text}`;
}
