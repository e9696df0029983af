// One lab for the guide's DB cluster and what runs on it (db1-3, queue1, manager1, manager2), installed
// once: an install of the DB nodes costs a minute or more, so the suites that need them share it, in
// this order, each leaving the cluster as the next needs it:
// 1. db-cluster-scenarios.ts: the DB nodes installed, failover, switchover, reinit, remove and rejoin
//    (ends with three members running);
// 2. ../store/patroni-failover-scenarios.ts: the store following the leader (waits for the cluster to
//    settle first; ends with every Patroni running again);
// 3. manager-cluster-scenarios.ts: the broker, then two managers on the same DB cluster (waits for the
//    cluster to settle first).
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe } from 'node:test';
import type { Lab } from '../../src/lab/lab.js';
import { startTestLab, type TestLab } from '../../src/lab/testing.js';
import { registerPatroniFailoverScenarios } from '../store/patroni-failover-scenarios.js';
import { registerDbClusterScenarios } from './db-cluster-scenarios.js';
import { DB_NODES, type LabRef, nodeFile } from './lab-helpers.js';
import { registerManagerClusterScenarios } from './manager-cluster-scenarios.js';

const root = process.getuid?.() === 0;
const skip = root ? false : 'needs root: the lab creates namespaces, and the installer runs as root';
const MANAGERS = ['manager1', 'manager2'];
const NODES = [...DB_NODES, 'queue1', ...MANAGERS];

describe('the DB cluster of the guide, the store on it, and managers on it', {
  skip,
  timeout: 2_100_000,
}, () => {
  let t: TestLab | undefined;
  const ref: LabRef = {
    get lab(): Lab {
      if (!t) throw new Error('the lab is not started');
      return t.lab;
    },
  };
  // The lab does not give each node its own /opt: the managers' data dir is the host's.
  const hadOptManager = existsSync('/opt/manager');

  before(async () => {
    t = await startTestLab({
      name: 'dbmgr',
      nodes: [
        ...DB_NODES.map((name) => ({ name, roles: ['database' as const] })),
        { name: 'queue1', roles: ['queue' as const] },
        ...MANAGERS.map((name) => ({ name, roles: ['manager' as const] })),
      ],
    });
  });
  let failed = false;
  afterEach((c) => {
    if ((c as { passed?: boolean }).passed === false) failed = true;
  });
  after(async () => {
    // On a failure the nodes' logs are kept for the post-mortem (tmp dir printed), then the lab goes.
    if (failed && t) {
      const keep = mkdtempSync(join(tmpdir(), 'db-cluster-lab-logs-'));
      for (const n of NODES) cpSync(nodeFile(t.lab, n, 'var/log'), join(keep, n), { recursive: true });
      process.stdout.write(`# node logs kept in ${keep}\n`);
    }
    await t?.down();
    if (!hadOptManager) rmSync('/opt/manager', { recursive: true, force: true });
  });

  registerDbClusterScenarios(ref);
  registerPatroniFailoverScenarios(ref);
  registerManagerClusterScenarios(ref);
});
