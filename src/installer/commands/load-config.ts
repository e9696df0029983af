// config.yaml as a command's flags name it (-c, --private-ip, --public-ip, -a), read and derived. Only
// actions import this: the schema (zod) and the YAML parser load when a command runs, not for --help.
import { deriveConfig } from '../config/derive.js';
import { type LoadOptions, loadConfig, resolveConfigFiles } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { CommonOpts } from './common.js';

function loadOpts(o: CommonOpts): LoadOptions {
  return {
    ...(o.configFile ? { configFiles: o.configFile } : {}),
    ...(o.privateIp ? { privateIp: o.privateIp } : {}),
    ...(o.publicIp ? { publicIp: o.publicIp } : {}),
    ...(o.adminPassword ? { adminPassword: o.adminPassword } : {}),
  };
}

export function loadDerived(o: CommonOpts): Config {
  return deriveConfig(loadConfig(loadOpts(o)));
}

export function configPathLabel(o: CommonOpts): string {
  return resolveConfigFiles(o.configFile).join(', ');
}
