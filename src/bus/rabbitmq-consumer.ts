// One consumer of the RabbitMQ bus: its own channel with a bounded prefetch; a message is acked late,
// after its handler resolved, and nacked and requeued when the handler throws. A channel that closes
// under a live consumer (the broker cancelled it, a channel error) is reported through `onLost`, so
// the connection can open it again.
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Handler } from './port.js';

export const QUORUM_ARGS = { 'x-queue-type': 'quorum' };

/** A registered consumer; re-registered on every new connection while active. */
export interface Sub {
  queue: string;
  handler: Handler;
  prefetch: number;
  active: boolean;
  channel?: Channel;
  /** The connection the channel is (being) opened on. */
  conn?: ChannelModel;
  /** A registration is under way (one at a time). */
  starting?: boolean;
  tag?: string;
}

/** Every queue is a durable quorum queue. */
export async function declareQueue(ch: Channel, queue: string): Promise<void> {
  await ch.assertQueue(queue, { durable: true, arguments: QUORUM_ARGS });
}

/** Opens the consumer's channel on `c` and starts taking messages from its queue. */
export async function startConsumer(
  c: ChannelModel,
  s: Sub,
  onError: (err: unknown) => void,
  onLost: () => void,
): Promise<void> {
  const ch = await c.createChannel();
  ch.on('error', onError);
  ch.on('close', () => {
    if (s.channel !== ch) return;
    s.channel = undefined;
    if (s.active) onLost();
  });
  try {
    await declareQueue(ch, s.queue);
    await ch.prefetch(s.prefetch);
    const r = await ch.consume(
      s.queue,
      (msg) => {
        // null: the broker cancelled the consumer; closing the channel makes onLost register it again
        if (!msg) return void ch.close().catch(() => {});
        deliver(ch, s, msg, onError);
      },
      { noAck: false },
    );
    s.tag = r.consumerTag;
  } catch (err) {
    await ch.close().catch(() => {});
    throw err;
  }
  s.channel = ch;
  if (!s.active) await ch.close().catch(() => {}); // cancelled while it was being registered
}

/** Hands one message to the handler; acks after it resolved, requeues when it threw. */
function deliver(ch: Channel, s: Sub, msg: ConsumeMessage, onError: (err: unknown) => void): void {
  let body: unknown;
  try {
    body = JSON.parse(msg.content.toString('utf8'));
  } catch (err) {
    onError(err);
    ch.nack(msg, false, false); // a message that is not JSON can never be handled
    return;
  }
  Promise.resolve()
    .then(() => s.handler(body))
    .then(
      () => {
        try {
          ch.ack(msg);
        } catch {} // the channel died meanwhile: the broker redelivers it
      },
      (err) => {
        onError(err);
        try {
          if (s.active) ch.nack(msg, false, true);
        } catch {}
      },
    );
}
