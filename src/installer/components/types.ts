// What a component is: one piece of a service (reference §2.4), with the lifecycle every command drives.
// `install` gets packages and files; `configure` renders configs and starts the programs (re-runnable:
// destructive steps are guarded); `start` restarts and verifies; `remove` undoes configure and install.
import type { Config, ServiceName } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { PackageSpec } from '../services/apt.js';

export interface ComponentContext {
  config: Config;
  log: Logger;
  /** Services already configured on this node before this run (from /etc/cloudify/.configured). */
  configuredBefore: string[];
}

export interface Component {
  /** Cloudify's class name lower-cased without `_` (used by `start/stop/restart <names>`), e.g. postgresqlserver. */
  name: string;
  /** The service in services_to_install that brings this component in. */
  service: ServiceName;
  /** Debian packages, with the version prefix that is required. */
  packages?(ctx: ComponentContext): PackageSpec[];
  /** Checks beyond config/validate.ts; throw ValidationError. Runs before anything changes. */
  validate?(ctx: ComponentContext): Promise<void>;
  install?(ctx: ComponentContext): Promise<void>;
  configure(ctx: ComponentContext): Promise<void>;
  start(ctx: ComponentContext): Promise<void>;
  stop(ctx: ComponentContext): Promise<void>;
  remove(ctx: ComponentContext): Promise<void>;
}
