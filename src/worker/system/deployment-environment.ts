// The system workflows create_deployment_environment and delete_deployment_environment: turn the
// blueprint's plan and the deployment's inputs into nodes and node instances, and remove them again.
// Cloudify's mgmtworker does this through REST callbacks; our worker shares the database and writes
// the same rows in one transaction, so a failure leaves nothing half-created.
import { prepareDeploymentPlan } from '../../dsl/index.js';
import type { Db } from '../../store/port.js';
import type { ExecutionRow } from '../../store/repositories/executions.js';

const j = (v: unknown) => JSON.stringify(v ?? null);

export async function createDeploymentEnvironment(db: Db, exec: ExecutionRow): Promise<void> {
  await db.transaction(async (tx) => {
    const [dep] = await tx.query<{
      _storage_id: number;
      inputs: Record<string, unknown>;
      plan: Record<string, any> | null;
    }>(
      `SELECT d._storage_id, d.inputs, b.plan FROM deployments d JOIN blueprints b ON b._storage_id = d._blueprint_fk
       WHERE d._storage_id = $1 FOR UPDATE OF d`,
      [exec._deployment_fk],
    );
    if (!dep) throw new Error(`The deployment of execution ${exec.id} no longer exists`);
    if (!dep.plan) return; // a blueprint stored without a parser has no plan: an empty environment
    const inputs = (exec.parameters?.inputs as Record<string, unknown> | undefined) ?? dep.inputs ?? {};
    const dp = prepareDeploymentPlan(dep.plan as never, inputs) as Record<string, any>;
    await tx.query(
      `UPDATE deployments SET description = $2, inputs = $3::text::jsonb, workflows = $4::text::jsonb,
         outputs = $5::text::jsonb, capabilities = $6::text::jsonb, groups = $7::text::jsonb,
         scaling_groups = $8::text::jsonb, policy_types = $9::text::jsonb, policy_triggers = $10::text::jsonb,
         installation_status = 'inactive', updated_at = now()
       WHERE _storage_id = $1`,
      [
        dep._storage_id,
        dp.description ?? null,
        j(dp.inputs ?? {}),
        j(dp.workflows ?? {}),
        j(dp.outputs ?? {}),
        j(dp.capabilities ?? {}),
        j(dp.groups ?? {}),
        j(dp.scaling_groups ?? {}),
        j(dp.policy_types ?? {}),
        j(dp.policy_triggers ?? {}),
      ],
    );
    const nodeFk = new Map<string, number>();
    for (const n of dp.nodes as Record<string, any>[]) {
      const scalable = n.capabilities?.scalable?.properties ?? {};
      const deploy = scalable.default_instances ?? n.instances?.deploy ?? 1;
      const [row] = await tx.query<{ _storage_id: number }>(
        `INSERT INTO nodes (id, _tenant_id, _creator_id, _deployment_fk, type, type_hierarchy, properties, operations,
           relationships, plugins, plugins_to_install, host_id, number_of_instances, planned_number_of_instances,
           deploy_number_of_instances, min_number_of_instances, max_number_of_instances)
         VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7::text::jsonb, $8::text::jsonb, $9::text::jsonb,
           $10::text::jsonb, $11::text::jsonb, $12, $13, $14, $15, $16, $17) RETURNING _storage_id`,
        [
          n.id ?? n.name,
          exec._tenant_id,
          exec._creator_id,
          dep._storage_id,
          n.type,
          j(n.type_hierarchy ?? []),
          j(n.properties ?? {}),
          j(n.operations ?? {}),
          j(n.relationships ?? []),
          j(n.plugins ?? []),
          j(n.plugins_to_install ?? null),
          n.host_id ?? null,
          deploy,
          scalable.planned_instances ?? deploy,
          deploy,
          scalable.min_instances ?? 0,
          scalable.max_instances ?? -1,
        ],
      );
      nodeFk.set(n.id ?? n.name, row._storage_id);
    }
    let index = 0;
    for (const ni of dp.node_instances as Record<string, any>[]) {
      await tx.query(
        `INSERT INTO node_instances (id, _tenant_id, _creator_id, _node_fk, relationships, host_id, index, scaling_groups)
         VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7, $8::text::jsonb)`,
        [
          ni.id,
          exec._tenant_id,
          exec._creator_id,
          nodeFk.get(ni.node_id ?? ni.name),
          j(ni.relationships ?? []),
          ni.host_id ?? null,
          ++index,
          j(ni.scaling_groups ?? []),
        ],
      );
    }
  });
}

/** Removes the deployment's runtime rows; the caller deletes the deployment row after reporting. */
export async function deleteDeploymentEnvironment(db: Db, exec: ExecutionRow): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('DELETE FROM nodes WHERE _deployment_fk = $1', [exec._deployment_fk]);
    if (exec.parameters?.delete_logs) {
      await tx.query(
        'DELETE FROM events WHERE _execution_fk IN (SELECT _storage_id FROM executions WHERE _deployment_fk = $1)',
        [exec._deployment_fk],
      );
      await tx.query(
        'DELETE FROM logs WHERE _execution_fk IN (SELECT _storage_id FROM executions WHERE _deployment_fk = $1)',
        [exec._deployment_fk],
      );
    }
  });
}
