// Task graphs: an execution's operations, stored before anything runs so a resume can restore them.
import type { OperationSpec, OperationState, StoredTasksGraph, TasksGraph } from '../../engine/index.js';
import type { Db } from '../port.js';
import { jsonParam } from './common.js';
import type { ExecutionRow } from './executions.js';

/** The stored graph of an execution (one per execution in this worker), or undefined. */
export async function loadGraph(
  db: Db,
  executionFk: number,
): Promise<(StoredTasksGraph & { storageId: number }) | undefined> {
  const [g] = await db.query<{ _storage_id: number; name: string }>(
    'SELECT _storage_id, name FROM tasks_graphs WHERE _execution_fk = $1 ORDER BY _storage_id LIMIT 1',
    [executionFk],
  );
  if (!g) return undefined;
  const ops = await db.query<OperationSpec & { state: OperationState }>(
    `SELECT id, name, type, dependencies, parameters, state FROM operations WHERE _tasks_graph_fk = $1
     ORDER BY _storage_id`,
    [g._storage_id],
  );
  return { storageId: g._storage_id, name: g.name, operations: ops };
}

/** Stores a freshly built graph with every operation pending, in one transaction, before it runs. */
export async function saveGraph(db: Db, exec: ExecutionRow, graph: TasksGraph): Promise<void> {
  await db.transaction(async (tx) => {
    const [g] = await tx.query<{ _storage_id: number }>(
      `INSERT INTO tasks_graphs (id, name, _tenant_id, _creator_id, _execution_fk) VALUES ($1, $2, $3, $4, $5)
       RETURNING _storage_id`,
      [`${exec.id}:${graph.name}`, graph.name, exec._tenant_id, exec._creator_id, exec._storage_id],
    );
    // One multi-row insert per chunk: thousands of operations in a handful of statements.
    const CHUNK = 500;
    for (let i = 0; i < graph.operations.length; i += CHUNK) {
      const chunk = graph.operations.slice(i, i + CHUNK);
      await tx.query(
        `INSERT INTO operations (id, name, state, _tenant_id, _creator_id, dependencies, type, parameters,
           _tasks_graph_fk)
         SELECT o->>'id', o->>'name', 'pending', $2, $3, o->'dependencies', o->>'type', o->'parameters', $4
         FROM jsonb_array_elements($1::text::jsonb) AS o`,
        [jsonParam(chunk), exec._tenant_id, exec._creator_id, g._storage_id],
      );
    }
    await tx.query(
      'UPDATE executions SET total_operations = $2, finished_operations = 0 WHERE _storage_id = $1',
      [exec._storage_id, graph.operations.length],
    );
  });
}
