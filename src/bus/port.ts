// The messaging port. Work queues are competing-consumer queues with late acknowledgement: a message
// is acked only after its handler resolved (so the handler must persist its effects first); if the
// consumer goes away before that, the message is delivered again to another consumer.

export type Handler = (message: unknown) => Promise<void>;

export interface Consumer {
  /** Stop taking messages; unacknowledged ones go back to the queue. */
  cancel(): Promise<void>;
}

export interface Bus {
  /** Resolves once the bus has accepted the message (the broker confirmed it, for RabbitMQ). */
  publish(queue: string, message: unknown): Promise<void>;
  /** Take messages from `queue`, at most `prefetch` at a time. */
  consume(queue: string, handler: Handler, opts?: { prefetch?: number }): Promise<Consumer>;
  close(): Promise<void>;
}

/** Cloudify's queue for workflow executions (exchange cloudify.management, routing key workflow). */
export const WORKFLOW_QUEUE = 'cloudify.management_workflow';
