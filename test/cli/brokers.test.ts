// `cfy cluster brokers get | add | update | remove` as a child process against a manager process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseNetworks } from '../../src/cli/commands/cluster/brokers.js';
import { type Cfy, json, makeCfy, type ManagerProcess, startManager, useArgs } from './helpers.js';

test('-n takes NAME=ADDRESS pairs or a JSON object; anything else is a usage error', () => {
  assert.equal(parseNetworks(undefined), undefined);
  assert.deepEqual(parseNetworks(['lb=192.168.0.5,ext=1.2.3.4']), { lb: '192.168.0.5', ext: '1.2.3.4' });
  assert.deepEqual(parseNetworks(['{"lb":"192.168.0.5"}', 'v6=fd00::5']), {
    lb: '192.168.0.5',
    v6: 'fd00::5',
  });
  assert.throws(() => parseNetworks(['lb']), /"lb" is not a NAME=ADDRESS network/);
  assert.throws(() => parseNetworks(['{"lb":']), /not valid JSON/);
  assert.throws(() => parseNetworks(['{"lb":3}']), /needs an address/);
});

describe('cfy cluster brokers against a real manager', () => {
  let m: ManagerProcess;
  const cfy: Cfy = makeCfy();
  /** The all-in-one manager's own broker row, there before any is added. */
  let own: string;
  before(async () => {
    m = await startManager();
    const use = await cfy(useArgs(m.port));
    assert.equal(use.code, 0, use.stderr);
    const first = json<{ name: string }[]>(await cfy(['cluster', 'brokers', 'list', '--json']));
    assert.equal(first.length, 1);
    own = first[0]!.name;
  });
  after(async () => {
    await m?.stop();
    cfy.cleanup();
  });

  test('add with the default port, add with --port and -n, get, list', async () => {
    const a = await cfy(['cluster', 'brokers', 'add', 'rabbit-a', '10.0.3.1']);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout + a.stderr, /Broker rabbit-a was added successfully!/);
    const b = await cfy([
      'cluster',
      'brokers',
      'add',
      'rabbit-b',
      '10.0.3.2',
      '--port',
      '5672',
      '-n',
      'lb=192.168.3.2',
    ]);
    assert.equal(b.code, 0, b.stderr);
    const got = json(await cfy(['cluster', 'brokers', 'get', 'rabbit-b', '--json']));
    got.networks.sort();
    assert.deepEqual(got, {
      name: 'rabbit-b',
      port: 5672,
      networks: ['default', 'lb'],
      is_external: false,
      host: '10.0.3.2',
    });
    const plain = await cfy(['cluster', 'brokers', 'get', 'rabbit-a']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /HA Cluster broker/);
    assert.match(plain.stdout, /rabbit-a.*5671/);
    const list = json<{ name: string; port: number }[]>(await cfy(['cluster', 'brokers', 'list', '--json']));
    assert.deepEqual(
      list.filter((r) => r.name !== own).map((r) => [r.name, r.port]),
      [
        ['rabbit-a', 5671],
        ['rabbit-b', 5672],
      ],
    );
  });

  test('update adds a network; a duplicate, an unknown name and bad ports fail in one line', async () => {
    const u = await cfy(['cluster', 'brokers', 'update', 'rabbit-a', '-n', 'lb=192.168.3.1']);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout + u.stderr, /Broker rabbit-a was updated successfully!/);
    const got = json(await cfy(['cluster', 'brokers', 'get', 'rabbit-a', '--json']));
    assert.deepEqual(got.networks.sort(), ['default', 'lb']);
    const failures: [string[], RegExp][] = [
      [['update', 'rabbit-a'], /networks/],
      [['update', 'nope', '-n', 'x=1.1.1.1'], /RabbitMQBroker.*nope.*not found/],
      [['add', 'rabbit-a', '10.0.3.9'], /already registered/],
      [['add', 'rabbit-z', '10.0.3.9', '--port', '99999'], /port from 1 to 65535/],
      [['add', 'rabbit-z', '10.0.3.9', '-n', 'junk'], /not a NAME=ADDRESS network/],
      [['get', 'nope'], /No broker named nope/],
      [['remove', 'nope'], /not found/],
    ];
    for (const [args, pattern] of failures) {
      const r = await cfy(['cluster', 'brokers', ...args]);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, pattern, args.join(' '));
      assert.doesNotMatch(r.stderr, /^\s+at /m);
    }
    const none = json<unknown[]>(await cfy(['cluster', 'brokers', 'list', '--json']));
    assert.equal(none.length, 3);
  });

  test('remove unregisters; the last broker is kept', async () => {
    const r = await cfy(['cluster', 'brokers', 'remove', 'rabbit-b']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /Broker rabbit-b was removed successfully!/);
    assert.equal((await cfy(['cluster', 'brokers', 'remove', own])).code, 0);
    const last = await cfy(['cluster', 'brokers', 'remove', 'rabbit-a']);
    assert.notEqual(last.code, 0);
    assert.match(last.stderr, /last registered broker/);
    const list = json<{ name: string }[]>(await cfy(['cluster', 'brokers', 'list', '--json']));
    assert.deepEqual(
      list.map((b) => b.name),
      ['rabbit-a'],
    );
  });
});
