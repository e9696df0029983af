// monitoring_service (reference §7) is not built yet: the guide lists it on every node, so the service
// is accepted and recorded, and configure says plainly that Prometheus was not installed.
import type { Component } from './types.js';

export const prometheus: Component = {
  name: 'prometheus',
  service: 'monitoring_service',
  async configure(ctx) {
    ctx.log.warning(
      'monitoring_service: Prometheus and its exporters are not installed by this version of cfy_manager (not implemented yet); nothing was changed for it.',
    );
  },
  async start() {},
  async stop() {},
  async remove() {},
};
