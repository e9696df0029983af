// `cfy events list EXECUTION_ID`: one page then "Showing X of Y events", or with --tail, follow to the
// end and print a success or failure line.
import type { Ctx } from '../../context.js';
import { usageError } from '../../errors.js';
import { formatEvent } from '../../events-format.js';
import { follow, reportEnd } from '../executions/follow.js';

interface Opts {
  executionId?: string;
  logs: boolean;
  jsonOutput?: boolean;
  tail?: boolean;
  from?: string;
  to?: string;
  paginationOffset: number;
  paginationSize: number;
  tenantName?: string;
}

export async function run(c: Ctx, o: Opts, arg?: string): Promise<void> {
  const id = arg ?? o.executionId;
  if (!id)
    throw usageError(
      'Missing the execution id',
      'run `cfy events list <execution-id>` (see `cfy executions list`)',
    );
  const client = c.client({ tenant: o.tenantName });
  const jsonEvents = Boolean(o.jsonOutput || c.out.json);
  c.out.info(`Listing events for execution id ${id} [include_logs=${o.logs !== false}]`);
  if (o.tail) {
    const ex = await follow(c, client, id, { includeLogs: o.logs !== false, jsonEvents });
    reportEnd(c, ex);
    return;
  }
  await client.executions.get(id);
  const page = await client.events.list({
    executionId: id,
    includeLogs: o.logs !== false,
    offset: o.paginationOffset,
    size: o.paginationSize,
    from: o.from,
    to: o.to,
  });
  for (const e of page.items) {
    if (jsonEvents) c.out.print(JSON.stringify(e));
    else {
      const line = formatEvent(e, c.out.verbose);
      if (line !== null) c.out.print(line);
    }
  }
  c.out.info(`\nShowing ${page.items.length} of ${page.metadata.pagination.total} events`);
}
