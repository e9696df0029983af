// GET /maintenance and POST /maintenance/{activate|deactivate} (5.1's maintenance-mode state machine;
// the gate that refuses requests is manager/maintenance.ts).
import { Type } from 'typebox';
import { END_STATES } from '../../executions/status.js';
import {
  endMaintenance,
  type MaintenanceRow,
  runningExecutions,
  startMaintenance,
} from '../../store/repositories/manager-settings.js';
import type { Api, ManagerContext } from '../context.js';
import { currentMaintenance, forgetMaintenance } from '../maintenance.js';
import { errorResponses, NStr, Str } from '../schemas/common.js';

const Remaining = Type.Array(Type.Object({ id: Str, status: Str, deployment_id: NStr, workflow_id: Str }));
const MaintenanceBody = Type.Object({
  status: Str,
  activated_at: NStr,
  activation_requested_at: NStr,
  remaining_executions: Type.Union([Remaining, Type.Null()]),
  requested_by: NStr,
});

const OFF = {
  status: 'deactivated',
  activated_at: '',
  activation_requested_at: '',
  remaining_executions: null,
  requested_by: '',
};

export async function registerMaintenanceRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  const { db } = ctx;
  const withRemaining = async (s: MaintenanceRow) => ({
    ...s,
    remaining_executions: s.status === 'activating' ? await runningExecutions(db, END_STATES) : null,
  });

  app.get(
    '/maintenance',
    {
      config: { permission: 'maintenance_mode_get' },
      schema: {
        summary: 'Maintenance mode: deactivated, activating (with the executions it waits for) or activated',
        response: { 200: MaintenanceBody, ...errorResponses },
      },
    },
    async () => {
      const state = await currentMaintenance(db);
      return state ? withRemaining(state) : OFF;
    },
  );

  app.post(
    '/maintenance/:action',
    {
      config: { permission: 'maintenance_mode_set' },
      schema: {
        summary: 'Activate or deactivate maintenance mode (304 when it is already in that state)',
        params: Type.Object({ action: Type.Union([Type.Literal('activate'), Type.Literal('deactivate')]) }),
        response: { 200: MaintenanceBody, 304: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      if (req.params.action === 'deactivate') {
        const before = await endMaintenance(db);
        forgetMaintenance(db);
        if (!before) return reply.code(304).send(null);
        return { ...before, status: 'deactivated', remaining_executions: null };
      }
      const running = await runningExecutions(db, END_STATES);
      const r = await startMaintenance(db, running.length ? 'activating' : 'activated', req.auth.user.id);
      forgetMaintenance(db);
      if (!r.created) return reply.code(304).send(null);
      return { ...r.state, remaining_executions: running };
    },
  );
}
