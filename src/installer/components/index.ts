// The component registry. To add a component: one import and one entry in COMPONENTS below; the order
// of the array does not matter (components/order.ts fixes it). The queue engineer adds RabbitMQ here
// (components/queue/**); everything else in this file belongs to the installer core.
import type { Config } from '../config/schema.js';
import { postgresqlServer } from './database/component.js';
import { loadBalancer } from './load-balancer/component.js';
import { manager } from './manager/component.js';
import { prometheus } from './monitoring/component.js';
import { orderIndex } from './order.js';
import { rabbitmq } from './queue/component.js';
import type { Component } from './types.js';

export const COMPONENTS: Component[] = [postgresqlServer, rabbitmq, manager, loadBalancer, prometheus];

/** The components of this config's services_to_install, in install order. */
export function componentsFor(config: Config, all: Component[] = COMPONENTS): Component[] {
  return all
    .filter((c) => config.services_to_install.includes(c.service))
    .sort((a, b) => orderIndex(a.name) - orderIndex(b.name));
}

export function componentByName(name: string, all: Component[] = COMPONENTS): Component | undefined {
  const wanted = name.toLowerCase().replaceAll('_', '');
  return all.find((c) => c.name === wanted);
}

export type { Component, ComponentContext } from './types.js';
