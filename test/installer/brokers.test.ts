// `brokers list|add|remove` against a fake management API: the table, the messages, the exit codes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ALREADY_CLUSTERED,
  brokersAdd,
  brokersList,
  brokersRemove,
  STILL_RUNNING,
  UNDETERMINED,
} from '../../src/installer/components/queue/brokers.js';
import { type NodeList, parseNodes } from '../../src/installer/components/queue/management.js';
import { pyCenter } from '../../src/installer/table.js';

function fake(list: NodeList | undefined) {
  const lines: string[] = [];
  const printed: string[] = [];
  const calls: string[][] = [];
  return {
    lines,
    printed,
    calls,
    deps: {
      list: async () => list,
      log: {
        info: (m: string) => lines.push(`INFO ${m}`),
        warning: (m: string) => lines.push(`WARNING ${m}`),
        error: (m: string) => lines.push(`ERROR ${m}`),
      },
      print: (t: string) => printed.push(t),
      ctl: async (args: string[]) => {
        calls.push(args);
        return { code: 0, stdout: '', stderr: '' };
      },
    },
  };
}

const two = parseNodes([
  { name: 'rabbit@rabbit2', running: false, nodedown: true },
  { name: 'rabbit@rabbit1', running: true, mem_alarm: false, disk_free_alarm: false },
]);

describe('brokers list', () => {
  test("the reference's table, sorted by name, with the nodedown alarm and its warning", async () => {
    const f = fake(two);
    assert.equal(await brokersList(f.deps), 0);
    assert.equal(
      f.printed.join('\n'),
      [
        '+----------------+---------+----------+',
        '|  broker_name   | running |  alarms  |',
        '+----------------+---------+----------+',
        '| rabbit@rabbit1 |   True  |          |',
        '| rabbit@rabbit2 |  False  | nodedown |',
        '+----------------+---------+----------+',
      ].join('\n'),
    );
    assert.match(f.lines.join('\n'), /WARNING badrpc and\/or nodedown alarms found/);
  });
  test('several alarms are joined with ", "', async () => {
    const f = fake(parseNodes([{ name: 'rabbit@a', running: true, mem_alarm: true, disk_free_alarm: true }]));
    await brokersList(f.deps);
    assert.match(f.printed[0]!, /\| mem_alarm, disk_free_alarm \|/);
  });
  test('an unreachable API: the undetermined message and exit 1', async () => {
    const f = fake(undefined);
    assert.equal(await brokersList(f.deps), 1);
    assert.deepEqual(f.lines, [`ERROR ${UNDETERMINED}`]);
    assert.deepEqual(f.printed, []);
  });
  test('str.center parity', () => {
    assert.equal(pyCenter('True', 9), '   True  ');
    assert.equal(pyCenter('ab', 5), '  ab ');
    assert.equal(pyCenter('abc', 6), ' abc  ');
    assert.equal(pyCenter('abcdef', 3), 'abcdef');
  });
});

describe('brokers remove', () => {
  test('a running node is refused', async () => {
    const f = fake(two);
    assert.equal(await brokersRemove(f.deps, 'rabbit1'), 1);
    assert.deepEqual(f.lines, [`WARNING ${f.lines[0]!.slice(8)}`, `ERROR ${STILL_RUNNING}`]);
    assert.deepEqual(f.calls, []);
  });
  test('an unknown node is refused with the valid names', async () => {
    const f = fake(two);
    assert.equal(await brokersRemove(f.deps, 'rabbit@nope'), 1);
    assert.equal(
      f.lines.at(-1),
      'ERROR Broker node rabbit@nope not found in cluster. Valid nodes are: rabbit@rabbit1, rabbit@rabbit2',
    );
  });
  test('a stopped node is forgotten', async () => {
    const f = fake(two);
    assert.equal(await brokersRemove(f.deps, 'rabbit2'), 0);
    assert.deepEqual(f.calls, [['forget_cluster_node', 'rabbit@rabbit2']]);
    assert.equal(f.lines.at(-1), 'INFO Broker rabbit@rabbit2 removed from cluster.');
  });
});

describe('brokers add', () => {
  const one = parseNodes([{ name: 'rabbit@q2', running: true }]);
  test('run on a member of a cluster: refused', async () => {
    const f = fake(two);
    const code = await brokersAdd(
      { ...f.deps, resolves: async () => true, join: async () => {}, repairUsers: async () => {} },
      'q1',
    );
    assert.equal(code, 1);
    assert.equal(f.lines.at(-1), `ERROR ${ALREADY_CLUSTERED}`);
  });
  test('an unresolvable node: refused', async () => {
    const f = fake(one);
    const code = await brokersAdd(
      { ...f.deps, resolves: async () => false, join: async () => {}, repairUsers: async () => {} },
      'rabbit@nosuch',
    );
    assert.equal(code, 1);
    assert.equal(
      f.lines.at(-1),
      'ERROR Could not get address for "nosuch".\nNode must be resolvable by DNS or as a hosts entry.',
    );
  });
  test('joins with the rabbit@ prefix; a failed join repairs users and rethrows', async () => {
    const joined: string[] = [];
    const f = fake(one);
    const ok = await brokersAdd(
      {
        ...f.deps,
        resolves: async () => true,
        join: async (n) => void joined.push(n),
        repairUsers: async () => {},
      },
      'q1',
    );
    assert.equal(ok, 0);
    assert.deepEqual(joined, ['rabbit@q1']);
    let repaired = false;
    await assert.rejects(
      brokersAdd(
        {
          ...f.deps,
          resolves: async () => true,
          join: async () => {
            throw new Error('boom');
          },
          repairUsers: async () => {
            repaired = true;
          },
        },
        'q1',
      ),
      /boom/,
    );
    assert.ok(repaired);
  });
});
