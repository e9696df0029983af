// The guide-cluster suite's monitoring checks: Prometheus on 8009 of every node behind TLS and basic auth,
// and a manager's Prometheus holding what it federates and the manager's own metrics.
import assert from 'node:assert/strict';
import { within } from '../../src/lab/within.js';
import { probe } from './cluster-helpers.js';

/** 8009 wants the CA and the credentials: 401 without them or with a wrong password, 200 with them. */
export async function prometheusGuarded(nodes: { name: string; ip: string }[], ca: Buffer, good: string) {
  for (const { name, ip } of nodes) {
    const url = `https://${ip}:8009/monitoring/-/healthy`;
    assert.equal((await probe(url, { ca })).status, 401, `${name}:8009 without credentials`);
    assert.equal((await probe(url, { ca, auth: 'monitoringusername:wrong' })).status, 401, name);
    assert.equal((await probe(url, { ca, auth: good })).status, 200, `${name}:8009 with the credentials`);
    assert.ok((await probe(url)).error, `${name}:8009 must not verify without the CA`);
  }
}

/** The manager's Prometheus at `prom` holds the node metrics of `dbIp` (federated) and our own metrics. */
export async function federatedAndOwnMetrics(prom: string, ca: Buffer, good: string, dbIp: string) {
  const fed = await probe(`${prom}/federate?match[]=${encodeURIComponent('{job="node"}')}`, {
    ca,
    auth: good,
  });
  assert.equal(fed.status, 200);
  assert.ok(fed.body!.includes(`host="${dbIp}"`), `node metrics of ${dbIp} federated`);
  for (const metric of ['stratus_http_request_duration_seconds_count', 'stratus_operations_total']) {
    const q = await within(
      60_000,
      () => probe(`${prom}/api/v1/query?query=${metric}`, { ca, auth: good }),
      (a) => a.status === 200 && JSON.parse(a.body!).data.result.length > 0,
      `${metric} in ${prom}`,
    );
    assert.ok(q.body);
  }
}
