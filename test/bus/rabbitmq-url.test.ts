// The RabbitMQ URL: one broker or every member of the cluster, and passwords kept out of logs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAmqpUrl, redact } from '../../src/bus/rabbitmq-url.js';

describe('RabbitMQ URL', () => {
  it('takes every member of the cluster, with default ports, the vhost and the heartbeat', () => {
    const t = parseAmqpUrl(
      'amqps://cloudify:s3cret@10.0.0.21:5671,10.0.0.22,[fd00::23]:5673/%2F?heartbeat=3',
      5,
    );
    assert.deepEqual(t, {
      protocol: 'amqps',
      username: 'cloudify',
      password: 's3cret',
      vhost: '/',
      members: [
        { host: '10.0.0.21', port: 5671, name: '10.0.0.21:5671' },
        { host: '10.0.0.22', port: 5671, name: '10.0.0.22:5671' },
        { host: 'fd00::23', port: 5673, name: '[fd00::23]:5673' },
      ],
      heartbeat: 3,
      frameMax: undefined,
      channelMax: undefined,
    });
  });

  it('keeps the single-host form: amqp:// on 5672, guest without credentials, "/" without a vhost', () => {
    const t = parseAmqpUrl('amqp://127.0.0.1', 5);
    assert.equal(t.protocol, 'amqp');
    assert.deepEqual(t.members, [{ host: '127.0.0.1', port: 5672, name: '127.0.0.1:5672' }]);
    assert.equal(t.username, 'guest');
    assert.equal(t.vhost, '/');
    assert.equal(t.heartbeat, 5);
    assert.equal(parseAmqpUrl('amqp://u:p@h/tenant_1', 5).vhost, 'tenant_1');
  });

  it('decodes percent-encoded credentials, and a password with an unencoded "@" or "/" ends at the last "@"', () => {
    assert.equal(parseAmqpUrl('amqp://u:p%40ss%2Fw@h1,h2', 5).password, 'p@ss/w');
    const t = parseAmqpUrl('amqp://u:p@ss/w@h1:1,h2:2/v', 5);
    assert.equal(t.password, 'p@ss/w');
    assert.deepEqual(
      t.members.map((m) => m.name),
      ['h1:1', 'h2:2'],
    );
    assert.equal(t.vhost, 'v');
  });

  it('rejects a bad URL in one line that says the expected form, without the password', () => {
    const cases: [string, RegExp][] = [
      [
        'http://u:pw@h',
        /^Invalid RabbitMQ URL "http:\/\/u:\*\*\*@h": expected amqp\[s\]:\/\/user:password@host1:port1,host2:port2\/vhost$/,
      ],
      ['amqps://u:pw@h1:5671,,h3', /^Invalid RabbitMQ broker "" in the URL: expected /],
      ['amqps://u:pw@h1:99999', /^Invalid RabbitMQ broker "h1:99999" in the URL/],
      ['amqps://u:pw@', /no broker host/],
      ['amqps://u:pw@h?heartbeat=often', /heartbeat=often is not a whole number/],
    ];
    for (const [url, re] of cases) {
      assert.throws(
        () => parseAmqpUrl(url, 5),
        (e: Error) => re.test(e.message) && !e.message.includes('pw@'),
        url,
      );
    }
  });

  it('redacts the password of single- and multi-host URLs', () => {
    assert.equal(redact('amqps://cloudify:s3cret@10.0.0.21:5671'), 'amqps://cloudify:***@10.0.0.21:5671');
    assert.equal(
      redact('amqps://cloudify:s3cret@10.0.0.21:5671,10.0.0.22:5671,10.0.0.23:5671/%2F'),
      'amqps://cloudify:***@10.0.0.21:5671,10.0.0.22:5671,10.0.0.23:5671/%2F',
    );
    assert.equal(redact('amqp://u:p@ss/w@h1,h2/v'), 'amqp://u:***@h1,h2/v');
    assert.equal(redact('amqp://h1:5672,h2:5672'), 'amqp://h1:5672,h2:5672');
    assert.equal(redact('amqp://user@h1'), 'amqp://user@h1');
  });
});
