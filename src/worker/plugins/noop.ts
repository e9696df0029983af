// `stratus.noop`: does nothing and succeeds. For tests and benchmarks (an operation without I/O).
// `stratus.fail` fails non-recoverably, `stratus.sleep` waits `inputs.ms` (cancellable).
import { NonRecoverableError } from '../../engine/index.js';
import type { Plugin } from './types.js';

export const stratusPlugin: Plugin = {
  name: 'stratus',
  withoutInstances: true,
  operations: {
    noop: async () => undefined,
    fail: async (ctx) => {
      throw new NonRecoverableError(String(ctx.inputs.message ?? 'stratus.fail was called'));
    },
    sleep: (ctx) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(resolve, Number(ctx.inputs.ms ?? 1000));
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(new Error('cancelled'));
        });
      }),
  },
};
