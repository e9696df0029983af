// docs/cli.md is generated from the commander tree (style §6.19): test/cli/docs.test.ts fails when
// the file and the tree differ. Regenerate with: node --import tsx src/cli/docs.ts > docs/cli.md
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { EXIT } from './exit-codes.js';
import { buildProgram } from './main.js';
import { NOT_IMPLEMENTED } from './not-implemented.js';
import { path } from './prefix.js';

export function leafCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => (c.commands.length ? leafCommands(c) : [c]));
}

const usage = (c: Command) =>
  `cfy ${path(c)}${c.registeredArguments.map((a) => ` ${a.required ? `<${a.name()}>` : `[${a.name()}]`}${a.variadic ? '…' : ''}`).join('')}`;

const exitDocs: Record<keyof typeof EXIT, string> = {
  OK: 'the command did what it was asked',
  FAILED: 'the operation failed: a server error, a failed or cancelled execution',
  USAGE:
    'bad command line: unknown or ambiguous command, bad option, bad inputs, missing file, no active profile',
  UNREACHABLE:
    'no manager answered (refused, 5 s connect timeout, HTTP 502 on every node) or the TLS certificate failed',
  UNAUTHORIZED: 'HTTP 401 (wrong credentials) or 403 (tenant or permission)',
  TIMEOUT: 'an execution did not end within --timeout',
};

const PROSE = `# \`cfy\` — the Stratus command line

\`cfy\` follows Cloudify 5.1's CLI (\`../shared/reference/cfy-cli.md\`): the same commands, flags, table
columns, messages and profile files, talking to the manager's REST API v3.1 with the Python REST
client's conventions. This file is generated from the command tree by \`src/cli/docs.ts\`; the test
\`test/cli/docs.test.ts\` fails when they differ.

## Global flags and prefixes

\`-v/--verbose\` (repeat for more; tracebacks need \`-v\`), \`--json\` or \`--format json\` (stdout carries only
JSON, every log line goes to stderr), \`-q/--quiet\`, \`--manager HOST[:PORT]\` (one cluster node, no
failover) and \`--version\` (the CLI version, and the manager's when a profile is active). They are
accepted before or after the subcommand.

Any unambiguous prefix of a command works (\`cfy dep li\`). An ambiguous one fails with
\`Too many matches: …\`; an unknown one suggests up to three names ("Did you mean one of these?").

## Profiles

\`~/.cloudify\` (or \`$CFY_WORKDIR/.cloudify\`) holds \`active.profile\` and \`profiles/<name>/context.json\`
(pretty JSON, sorted keys, mode 0600). Old 5.1 profiles with a YAML \`context\` file still read; they are
rewritten as \`context.json\` on the next change. \`CLOUDIFY_USERNAME\`, \`CLOUDIFY_PASSWORD\`,
\`CLOUDIFY_TENANT\` and \`CLOUDIFY_TOKEN\` replace the profile's values; setting one both in the profile and
in the environment is an error, and so is a token together with a username or password.
\`LOCAL_REST_CERT_FILE\`, then the profile's \`rest_certificate\`, then \`<profile>/public_rest_cert.crt\` give
the CA; \`CLOUDIFY_SSL_TRUST_ALL\` turns verification off.

## Following a cluster

A profile whose \`cluster.manager\` list is not empty (filled by \`cfy cluster update-profile\`, and by
\`cfy profiles use\` on a cluster) sends each request to one node after the other: a connection error
(refused, reset, or no TCP connection within **5 s**) or an HTTP 502 moves on to the next node; every
other error is the answer. Each node may carry its own \`rest_port\`, \`rest_protocol\`, \`cert\` and
\`trust_all\`. When every node failed the CLI says "All cluster nodes are offline".

**Difference from Cloudify.** Cloudify always tries \`manager_ip\` first, so while that node is down every
command pays the 5 s connect timeout before it reaches a live node. Stratus remembers the node that
answered (\`last_good_manager\` in the profile, and the node moves to the front of \`cluster.manager\` as
in Cloudify) and tries it first, so a dead \`manager_ip\` costs the timeout once. \`test/cli/failover.test.ts\`
measures both cases with two managers on one PostgreSQL.

Other deliberate differences: \`executions start\` and \`events list --tail\` poll every second (Cloudify:
3 s); query booleans are sent as \`true\`/\`false\` (the Python client sends \`True\`/\`False\`); \`k=v\` input
values are typed like YAML scalars (\`count=3\` is the integer 3).

## Output

Lists print a titled table with Cloudify's columns and a \`Showing X of Y <things>\` line; \`--json\`
prints \`[\`, one compact object per line with only those columns, \`]\`. Events print as Cloudify's
\`2020-01-02 03:04:05.678  CFY <d1> [vm_x1.create] Task started\` (timestamp, \`CFY\` or \`LOG\`, the
deployment id in angle brackets, \`[instance.operation]\`, the message; logs start with their level), or
one JSON object per line with \`--json-output\`/\`--json\`. Server errors read \`An error occurred on the server: <message>\`. While an
execution runs on a terminal a status line shows its finished/total operations; there is none when
stdout is not a terminal.

## Exit codes

${Object.entries(EXIT)
  .map(([k, v]) => `- \`${v}\` ${k}: ${exitDocs[k as keyof typeof EXIT]}`)
  .join('\n')}
`;

export function renderCliDocs(program: Command = buildProgram()): string {
  const sections = leafCommands(program).map((c) => {
    const opts = c.options
      .filter((o) => !o.hidden)
      .map(
        (o) =>
          `- \`${o.flags}\`: ${o.description}${o.defaultValue !== undefined && o.defaultValue !== false ? ` (default: ${JSON.stringify(o.defaultValue)})` : ''}`,
      );
    return [`### \`${usage(c)}\``, '', c.description(), ...(opts.length ? ['', ...opts] : [])].join('\n');
  });
  return [
    PROSE,
    '## Implemented commands',
    '',
    sections.join('\n\n'),
    '',
    '## Not implemented yet',
    '',
    ...NOT_IMPLEMENTED.map((n) => `- \`${n.command}\`: ${n.why}`),
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(renderCliDocs());
}
