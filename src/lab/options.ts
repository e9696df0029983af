// The lab's knobs, with their defaults in one place. CLI flags win over environment variables.
import { isAbsolute } from 'node:path';
import { type Cidr, cidrSize, parseCidr } from './cidr.js';
import { LabError } from './errors.js';

export interface LabOptions {
  /** Where the lab keeps its state and every node's private directories. @default /var/lib/stratus-lab */
  stateDir: string;
  /** The private subnet of the lab bridge; the host takes .1, nodes start at .11. @default 10.177.0.0/24 */
  subnet: Cidr;
  /** Bridge name; also the prefix of the lab's netns (`<bridge>-<node>`) and veths (`<bridge>v<n>`). @default stlab0 */
  bridge: string;
}

export const DEFAULTS = { stateDir: '/var/lib/stratus-lab', subnet: '10.177.0.0/24', bridge: 'stlab0' };

export function compileOptions(raw: { stateDir?: string; subnet?: string; bridge?: string }): LabOptions {
  const env = process.env;
  const stateDir = raw.stateDir ?? env.STRATUS_LAB_DIR ?? DEFAULTS.stateDir;
  if (!isAbsolute(stateDir)) throw new LabError(`state dir "${stateDir}" must be an absolute path`);
  const subnetText = raw.subnet ?? env.STRATUS_LAB_SUBNET ?? DEFAULTS.subnet;
  const subnet = parseCidr(subnetText);
  if (subnet.prefix < 16 || subnet.prefix > 28) {
    throw new LabError(`subnet ${subnetText}: prefix must be between /16 and /28`, { fix: 'use a /24' });
  }
  if (cidrSize(subnet) < 16) throw new LabError(`subnet ${subnetText} is too small`);
  const bridge = raw.bridge ?? env.STRATUS_LAB_BRIDGE ?? DEFAULTS.bridge;
  // veth names are `<bridge>v<index>` and Linux caps interface names at 15 characters.
  if (!/^[a-z][a-z0-9]{0,9}$/.test(bridge)) {
    throw new LabError(`bridge name "${bridge}" is invalid`, {
      fix: 'use 1-10 lower-case letters and digits, starting with a letter',
    });
  }
  return { stateDir, subnet, bridge };
}
