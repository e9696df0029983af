// What a resumed execution must show: a "Resuming" workflow_started event; operations that had
// succeeded before the kill ran once (marker files); none ran more than twice.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function markerCounts(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) out.set(f, readFileSync(join(dir, f), 'utf8').trim().split('\n').length);
  return out;
}

/** Checks the resume rules against the stored events and the marker files. */
export function checkRunCounts(evs: any[], markers: Map<string, number>): void {
  const resumedAt = evs.findIndex((e) => e.event_type === 'workflow_started' && /Resuming/.test(e.message));
  assert.ok(resumedAt > 0, 'a "Resuming" workflow_started event follows the first one');
  const succeededBefore = evs
    .slice(0, resumedAt)
    .filter((e) => e.event_type === 'task_succeeded' && !e.operation.includes('relationship_lifecycle'))
    .map((e) => `${e.node_instance_id}.${e.operation.split('.').pop()}`);
  assert.ok(succeededBefore.length > 0, 'some operations had succeeded before the kill');
  for (const op of succeededBefore) assert.equal(markers.get(op), 1, `${op} had succeeded and ran again`);
  for (const [op, n] of markers) assert.ok(n <= 2, `${op} ran ${n} times`);
}
