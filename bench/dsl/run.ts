// DSL benchmark: one 1,000-node blueprint planned to 10,000 instances, and 1,000 small blueprints
// parsed in a row. Prints the figures and rewrites the `## DSL` section of docs/benchmarks.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ImportResolver, parseBlueprint, prepareDeploymentPlan } from '../../src/dsl/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HEADER =
  'tosca_definitions_version: cloudify_dsl_1_3\nimports:\n  - http://www.getcloudify.org/spec/cloudify/5.1/types.yaml\n';

function bigBlueprint(): string {
  // 100 hosts × 10 instances; 900 software nodes contained in them → 10,000 instances in total.
  const lines = [HEADER, 'node_templates:'];
  for (let h = 0; h < 100; h++) {
    lines.push(
      `  host${h}:`,
      '    type: cloudify.nodes.Compute',
      '    capabilities:',
      '      scalable:',
      '        properties:',
      '          default_instances: 10',
    );
  }
  for (let a = 0; a < 900; a++) {
    lines.push(
      `  app${a}:`,
      '    type: cloudify.nodes.SoftwareComponent',
      '    relationships:',
      `      - {type: cloudify.relationships.contained_in, target: host${a % 100}}`,
      '    interfaces:',
      '      cloudify.interfaces.lifecycle:',
      `        create: {implementation: scripts/create.sh, inputs: {name: app${a}}}`,
    );
  }
  return lines.join('\n');
}

const small = (i: number) =>
  `${HEADER}inputs:\n  port: {default: ${8000 + i}}\nnode_templates:\n  vm:\n    type: cloudify.nodes.Compute\n  web:\n    type: cloudify.nodes.WebServer\n    relationships:\n      - {type: cloudify.relationships.contained_in, target: vm}\n`;

const resolverFor = (text: string): ImportResolver => ({
  read: (p) => (p === 'blueprint.yaml' ? text : undefined),
});
let seq = 0;
const ids = (p: string) => `${p}_${(seq++).toString(36).padStart(6, '0')}`;

// Wall-clock time is the target; CPU time of this process is printed next to it because the machine is
// shared (other sessions' load inflates wall time, not the work done).
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const load0 = loadavg()[0];
const big = bigBlueprint();
let c = cpuMs();
let t = performance.now();
const plan = parseBlueprint({ mainFile: 'blueprint.yaml', resolver: resolverFor(big) });
const parseMs = performance.now() - t;
const parseCpu = cpuMs() - c;
c = cpuMs();
t = performance.now();
const dp = prepareDeploymentPlan(plan, {}, { idGenerator: ids });
const planMs = performance.now() - t;
const planCpu = cpuMs() - c;
const instances = dp.node_instances.length;

c = cpuMs();
t = performance.now();
for (let i = 0; i < 1000; i++) {
  const text = small(i);
  prepareDeploymentPlan(
    parseBlueprint({ mainFile: 'blueprint.yaml', resolver: resolverFor(text) }),
    {},
    { idGenerator: ids },
  );
}
const smallMs = performance.now() - t;
const smallCpu = cpuMs() - c;
const perSec = 1000 / (smallMs / 1000);
const load = Math.max(load0, loadavg()[0]);

const cpuNote = (ms: number) => ` (CPU ${ms.toFixed(0)} ms)`;
const rows = [
  ['1,000-node blueprint: parse', `${parseMs.toFixed(0)} ms${cpuNote(parseCpu)}`],
  [
    `1,000-node blueprint: deployment plan (${instances} instances)`,
    `${planMs.toFixed(0)} ms${cpuNote(planCpu)}`,
  ],
  [
    '1,000-node blueprint: total (target < 1 s)',
    `${(parseMs + planMs).toFixed(0)} ms${cpuNote(parseCpu + planCpu)}`,
  ],
  [
    '1,000 small blueprints: parse + plan (target ≥ 500/s)',
    `${smallMs.toFixed(0)} ms = ${perSec.toFixed(0)} blueprints/s${cpuNote(smallCpu)} = ${(1000 / (smallCpu / 1000)).toFixed(0)}/s of CPU`,
  ],
];
for (const [k, v] of rows) console.log(`${k.padEnd(64)} ${v}`);

const section = [
  '<!-- dsl:start -->',
  '## DSL',
  '',
  `Measured by \`npm run bench:dsl\` on ${new Date().toISOString().slice(0, 10)} (node ${process.version}, shared 2-core machine, 1-minute load average ${load.toFixed(1)}). Wall time is the target; the CPU time of the benchmark process is shown too, since other work on the machine inflates wall time.`,
  '',
  '| measure | result |',
  '| --- | --- |',
  ...rows.map(([k, v]) => `| ${k} | ${v} |`),
  '<!-- dsl:end -->',
].join('\n');
const file = resolve(repoRoot, 'docs/benchmarks.md');
const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
const re = /<!-- dsl:start -->[\s\S]*?<!-- dsl:end -->/;
writeFileSync(file, re.test(current) ? current.replace(re, section) : `${current.trimEnd()}\n\n${section}\n`);
