// One lab for the guide's three brokers (queue1-3), installed once with bench/cluster-install/queue-lab.ts
// (an install of the three costs a minute or more), shared in this order:
// 1. queue-cluster-scenarios.ts: queue_service (its quorum test kills a broker and `brokers remove`s it;
//    its last test installs that broker again, joining a survivor, so three brokers run when it ends);
// 2. ../bus/rabbitmq-cluster-scenarios.ts: the RabbitMQ bus on the three brokers (its kill test kills
//    a broker; its partition test starts that broker again first).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import {
  installCluster,
  makeCerts,
  type QueueLab,
  type SharedQueueLab,
  startQueueLab,
  writeConfigs,
} from '../../bench/cluster-install/queue-lab.js';
import { registerRabbitBusScenarios } from '../bus/rabbitmq-cluster-scenarios.js';
import { registerQueueClusterScenarios } from './queue-cluster-scenarios.js';

const root = process.getuid?.() === 0;
const skip = root ? false : 'needs root: the lab creates namespaces, and RabbitMQ runs as the rabbitmq user';

describe("the guide's 3-broker cluster: queue_service, then the RabbitMQ bus on it", { skip }, () => {
  let q: QueueLab | undefined;
  let lab: SharedQueueLab | undefined;
  const started = (): SharedQueueLab => {
    if (!lab) throw new Error('the lab is not installed');
    return lab;
  };
  const ref: SharedQueueLab = {
    get q() {
      return started().q;
    },
    get caDir() {
      return started().caDir;
    },
    get ca() {
      return started().ca;
    },
  };

  before(async () => {
    q = await startQueueLab();
    const caDir = await makeCerts(q);
    writeConfigs(q);
    const times = await installCluster(q);
    console.log(`# installed 3 brokers in ${times.map((t) => (t / 1000).toFixed(1)).join(' + ')} s`);
    lab = { q, caDir, ca: readFileSync(join(caDir, 'ca.crt')) };
  });
  after(async () => {
    await q?.t.down();
  });

  registerQueueClusterScenarios(ref);
  registerRabbitBusScenarios(ref);
});
