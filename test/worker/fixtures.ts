// The journey blueprint: host (2 instances), db contained_in host, app connected_to db, every
// lifecycle op a shell script calling ctx. Each run appends a line to a marker file
// `<marker_dir>/<instance>.<op>` so tests can count how often an operation really ran.

const OP_SH = `#!/bin/bash
set -e
if [ -n "$SIDE" ]; then
  me=$(ctx $SIDE instance id)
  other=$(ctx target instance id)
  ctx logger info "relationship $OP on the $SIDE side of $(ctx source instance id) -> $other"
  if [ "$SIDE" = source ] && [ "$OP" = establish ]; then
    ctx source instance runtime-properties db_seen "$(ctx target instance runtime-properties db_name)"
  fi
else
  me=$(ctx instance id)
  ctx logger info "$OP of $me (node $(ctx node id), port $(ctx node properties port))"
  ctx instance runtime-properties last_op "$OP"
  case "$OP" in
    create) ctx instance runtime-properties nested.deep @'{"a":[1,2]}' ;;
    start)
      if [ "$(ctx node id)" = db ]; then ctx instance runtime-properties db_name "db-of-$me"; fi
      if [ "$(ctx node id)" = app ]; then ctx instance runtime-properties ep "http://$me:$PORT/"; fi ;;
  esac
fi
echo "$OP" >> "$MARKER_DIR/$me.$OP\${SIDE:+.$other}"
if [ -n "$SLEEP_FILE" ] && [ -f "$SLEEP_FILE" ]; then sleep "$(cat "$SLEEP_FILE")"; fi
ctx returns "$OP done"
`;

const ops = (names: string[], extra = '', indent = 8) =>
  names
    .map((n) => {
      const pad = ' '.repeat(indent);
      return `${pad}${n}:
${pad}  implementation: scripts/op.sh
${pad}  inputs: {OP: ${n}, MARKER_DIR: {get_input: marker_dir}, PORT: {get_input: port}, SLEEP_FILE: {get_input: sleep_file}${extra}}`;
    })
    .join('\n');

export const JOURNEY_YAML = `tosca_definitions_version: cloudify_dsl_1_3
imports:
  - http://www.getcloudify.org/spec/cloudify/5.1/types.yaml
inputs:
  marker_dir: {type: string}
  port: {default: 8080}
  sleep_file: {default: ''}
node_types:
  test.Host:
    derived_from: cloudify.nodes.Compute
    properties:
      port: {default: 22}
      agent_config: {default: {install_method: none}}
  test.Db:
    derived_from: cloudify.nodes.DBMS
    properties:
      port: {default: 5432}
  test.App:
    derived_from: cloudify.nodes.ApplicationModule
    properties:
      port: {default: 8080}
node_templates:
  host:
    type: test.Host
    instances: {deploy: 2}
    interfaces:
      cloudify.interfaces.lifecycle:
${ops(['create', 'configure', 'start', 'stop', 'delete'])}
  db:
    type: test.Db
    interfaces:
      cloudify.interfaces.lifecycle:
${ops(['create', 'configure', 'start', 'stop', 'delete'])}
    relationships:
      - {type: cloudify.relationships.contained_in, target: host}
  app:
    type: test.App
    interfaces:
      cloudify.interfaces.lifecycle:
${ops(['create', 'start', 'stop', 'delete'])}
    relationships:
      - type: cloudify.relationships.connected_to
        target: db
        source_interfaces:
          cloudify.interfaces.relationship_lifecycle:
${ops(['establish', 'unlink'], ', SIDE: source', 12)}
        target_interfaces:
          cloudify.interfaces.relationship_lifecycle:
${ops(['establish'], ', SIDE: target', 12)}
outputs:
  endpoint:
    value: {get_attribute: [app, ep]}
  app_db:
    value: {get_attribute: [app, db_seen]}
  hosts:
    value: {get_attributes_list: [host, last_op]}
`;

export const JOURNEY_FILES = { 'blueprint.yaml': JOURNEY_YAML, 'scripts/op.sh': OP_SH };

/**
 * One node of `n` instances whose create, configure and start append a line to
 * `<marker_dir>/<instance>.<op>` and then sleep `sleep` seconds: a wide install for fault tests.
 */
export function wideFiles(n: number, sleep: number): Record<string, string> {
  const op = (name: string) =>
    `        ${name}: {implementation: scripts/op.sh, inputs: {OP: ${name}, MARKER_DIR: {get_input: marker_dir}}}`;
  return {
    'blueprint.yaml': `tosca_definitions_version: cloudify_dsl_1_3
imports:
  - http://www.getcloudify.org/spec/cloudify/5.1/types.yaml
inputs:
  marker_dir: {type: string}
node_templates:
  box:
    type: cloudify.nodes.Root
    instances: {deploy: ${n}}
    interfaces:
      cloudify.interfaces.lifecycle:
${['create', 'configure', 'start'].map(op).join('\n')}
`,
    'scripts/op.sh': `#!/bin/bash
set -e
# an assignment, so that set -e ends the script when ctx fails (its worker was killed)
id=$(ctx instance id)
echo "$OP" >> "$MARKER_DIR/$id.$OP"
sleep ${sleep}
`,
  };
}
