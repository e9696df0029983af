// The lab's record of what it created. Written before each change, so a crash leaves `down` enough to undo.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcRef } from './procs.js';
import type { Topology } from './topology.js';

/** Where the lab is in its life. */
export type LabPhase =
  | 'creating' // `up` is (or was, if it crashed) creating resources
  | 'up' // everything was created
  | 'tearing-down'; // `down` started; only `down` may continue from here

export interface NodeState {
  netns: string;
  veth: string;
  /** The node's init (supervisord, PID 1 of the node) and the `unshare` that holds it. */
  init?: ProcRef;
  holder?: ProcRef;
}

export interface LabState {
  version: 1;
  phase: LabPhase;
  subnet: string;
  bridge: string;
  topology: Topology;
  nodes: Record<string, NodeState>;
  created: {
    bridge: boolean;
    /** `ip netns add` mounted /run/netns (and maybe created the dir) because nothing had before. */
    runNetnsMount: boolean;
    runNetnsDir: boolean;
    /** Host directories created only to serve as mount points inside the nodes. */
    hostDirs: string[];
    stateDir: boolean;
  };
}

export const stateFile = (stateDir: string): string => join(stateDir, 'lab.json');
export const nodeDir = (stateDir: string, node: string): string => join(stateDir, 'nodes', node);

export function readState(stateDir: string): LabState | undefined {
  const f = stateFile(stateDir);
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as LabState;
}

export function writeState(stateDir: string, state: LabState): void {
  mkdirSync(stateDir, { recursive: true });
  const f = stateFile(stateDir);
  const tmp = `${f}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, f);
}

/** Re-read, change one node's record, write: keeps concurrent `start`s of different nodes from losing each other. */
export function updateNode(stateDir: string, node: string, patch: Partial<NodeState>): void {
  const s = readState(stateDir);
  if (!s?.nodes[node]) return;
  Object.assign(s.nodes[node]!, patch);
  writeState(stateDir, s);
}
