// Our bundled built-in types, served for Cloudify's spec URLs (see resolver.ts BUILTIN_SPEC_RULES).
// Written for Stratus; behaviourally equivalent to the manager's types.yaml for parsing and planning.
import type { ImportResolver } from './resolver.js';

const lifecycleOps = [
  'precreate',
  'create',
  'configure',
  'start',
  'poststart',
  'prestop',
  'stop',
  'delete',
  'postdelete',
  'preupdate',
  'update',
  'postupdate',
  'update_config',
  'update_apply',
  'update_postapply',
  'preheal',
  'heal',
  'postheal',
  'pull',
  'check_drift',
];
const relOps = ['preconfigure', 'postconfigure', 'establish', 'unlink', 'update', 'check_drift'];
const noops = (ops: string[], indent: string) => ops.map((o) => `${indent}${o}: {}`).join('\n');
const derived = (names: string[], parent: string) =>
  names.map((n) => `  ${n}:\n    derived_from: ${parent}`).join('\n');
const workflow = (name: string, fn: string, params = '{}') =>
  `  ${name}:\n    mapping: default_workflows.cloudify.plugins.workflows.${fn}\n    parameters: ${params}`;
const filters = `
      type_names: {default: [], type: list}
      node_ids: {default: [], type: list}
      node_instance_ids: {default: [], type: list}`;

// No version header: an import may not declare a newer version than the main file (error 28).
export const BUILTIN_TYPES_YAML = `metadata:
  cloudify_types: true
plugins:
  agent: {executor: central_deployment_agent, install: false}
  default_workflows: {executor: central_deployment_agent, install: false}
  cfy_extensions: {executor: central_deployment_agent, install: false}
  script: {executor: host_agent, install: false}
data_types:
  cloudify.datatypes.AgentConfig:
    properties:
      install_method: {type: string, required: false, default: remote}
      user: {type: string, required: false}
      key: {type: string, required: false}
      password: {type: string, required: false}
      port: {type: integer, required: false, default: 22}
      process_management: {type: dict, required: false}
      min_workers: {type: integer, required: false}
      max_workers: {type: integer, required: false}
      disable_requiretty: {type: boolean, required: false}
      env: {type: dict, required: false}
      extra: {type: dict, required: false}
      network: {type: string, required: false}
node_types:
  cloudify.nodes.Root:
    properties:
      use_external_resource: {type: boolean, default: false}
      resource_id: {type: string, required: false}
    interfaces:
      cloudify.interfaces.lifecycle:
${noops(lifecycleOps, '        ')}
      cloudify.interfaces.validation:
${noops(['create', 'delete', 'check_status', 'creation', 'deletion'], '        ')}
      cloudify.interfaces.monitoring:
${noops(['start', 'stop'], '        ')}
  cloudify.nodes.Compute:
    derived_from: cloudify.nodes.Root
    properties:
      ip: {default: ''}
      os_family: {default: linux}
      agent_config: {type: cloudify.datatypes.AgentConfig, default: {}}
      install_agent: {default: ''}
      cloudify_agent: {default: {}}
    interfaces:
      cloudify.interfaces.cloudify_agent:
        create: {implementation: agent.cloudify_agent.installer.operations.create, executor: central_deployment_agent}
        configure: {implementation: agent.cloudify_agent.installer.operations.configure, executor: central_deployment_agent}
        start: {implementation: agent.cloudify_agent.installer.operations.start, executor: central_deployment_agent}
        stop: {implementation: agent.cloudify_agent.installer.operations.stop, executor: central_deployment_agent}
        delete: {implementation: agent.cloudify_agent.installer.operations.delete, executor: central_deployment_agent}
        restart: {implementation: agent.cloudify_agent.installer.operations.restart, executor: central_deployment_agent}
        validate_amqp: {implementation: agent.cloudify_agent.operations.validate_agent_amqp, executor: central_deployment_agent}
        create_amqp: {implementation: agent.cloudify_agent.operations.create_agent_amqp, executor: central_deployment_agent}
      cloudify.interfaces.host:
        get_state: {}
      cloudify.interfaces.monitoring_agent:
${noops(['install', 'start', 'stop', 'uninstall'], '        ')}
${derived(['Container'], 'cloudify.nodes.Compute')}
${derived(
  [
    'Tier',
    'Volume',
    'FileSystem',
    'ObjectStorage',
    'Network',
    'Subnet',
    'Port',
    'Router',
    'LoadBalancer',
    'VirtualIP',
    'SecurityGroup',
    'SoftwareComponent',
    'ApplicationModule',
    'CloudifyManager',
    'PasswordSecret',
    'SharedResource',
    'Component',
  ].map((n) => `cloudify.nodes.${n}`),
  'cloudify.nodes.Root',
)}
${derived(
  ['DBMS', 'ApplicationServer', 'MessageBusServer'].map((n) => `cloudify.nodes.${n}`),
  'cloudify.nodes.SoftwareComponent',
)}
  cloudify.nodes.WebServer:
    derived_from: cloudify.nodes.SoftwareComponent
    properties:
      port: {default: 80}
  cloudify.nodes.Database:
    derived_from: cloudify.nodes.ApplicationModule
  cloudify.nodes.ServiceComponent:
    derived_from: cloudify.nodes.Component
  cloudify.nodes.Blueprint:
    derived_from: cloudify.nodes.Root
relationships:
  cloudify.relationships.depends_on:
    properties:
      connection_type: {default: all_to_all}
    source_interfaces:
      cloudify.interfaces.relationship_lifecycle:
${noops(relOps, '        ')}
    target_interfaces:
      cloudify.interfaces.relationship_lifecycle:
${noops(relOps, '        ')}
${derived(
  ['connected_to', 'contained_in', 'depends_on_shared_resource', 'connected_to_shared_resource'].map(
    (n) => `cloudify.relationships.${n}`,
  ),
  'cloudify.relationships.depends_on',
)}
  cloudify.relationships.depends_on_lifecycle_operation:
    derived_from: cloudify.relationships.depends_on
    properties:
      operation: {type: string, default: configure}
  cloudify.relationships.file_system_depends_on_volume:
    derived_from: cloudify.relationships.depends_on
  cloudify.relationships.file_system_contained_in_compute:
    derived_from: cloudify.relationships.contained_in
workflows:
${workflow('install', 'install')}
${workflow('uninstall', 'uninstall', '{ignore_failure: {default: false, type: boolean}}')}
${workflow('reinstall', 'reinstall', `{${filters.trim().split('\n').join(',')}}`)}
${workflow('start', 'start', `{${filters.trim().split('\n').join(',')}}`)}
${workflow('stop', 'stop', `{${filters.trim().split('\n').join(',')}}`)}
${workflow('restart', 'restart', `{${filters.trim().split('\n').join(',')}}`)}
  execute_operation:
    mapping: default_workflows.cloudify.plugins.workflows.execute_operation
    parameters:
      operation: {type: string}
      operation_kwargs: {default: {}, type: dict}
      allow_kwargs_override: {default: null}
      run_by_dependency_order: {default: false, type: boolean}${filters}
${workflow('heal', 'auto_heal_reinstall_node_subgraph', '{node_instance_id: {type: string}, diagnose_value: {default: Not provided}, ignore_failure: {default: true, type: boolean}}')}
  scale:
    mapping: default_workflows.cloudify.plugins.workflows.scale_entity
    parameters:
      scalable_entity_name: {type: string}
      delta: {default: 1, type: integer}
      scale_compute: {default: false, type: boolean}
      ignore_failure: {default: false, type: boolean}
      include_instances: {default: [], type: list}
      exclude_instances: {default: [], type: list}
      rollback_if_failed: {default: true, type: boolean}
${workflow('install_new_agents', 'install_new_agents', '{install_agent_timeout: {default: 300}, node_ids: {default: []}, node_instance_ids: {default: []}, install_methods: {default: null}, validate: {default: true}, install: {default: true}, manager_certificate: {default: null}, stop_old_agent: {default: false}}')}
${workflow('validate_agents', 'validate_agents', '{node_ids: {default: []}, node_instance_ids: {default: []}, install_methods: {default: null}}')}
${workflow('check_status', 'check_status', '{run_by_dependency_order: {default: false}}')}
${workflow('check_drift', 'check_drift', '{run_by_dependency_order: {default: false}}')}
${workflow('rollback', 'rollback', '{full_rollback: {default: false}}')}
${workflow('pull', 'pull', '{run_by_dependency_order: {default: false}}')}
`;

/** Serves the bundled types for `builtin:` locations (any `…/types.yaml` or `types_1_x.yaml`). */
export function withBuiltinTypes(inner: ImportResolver): ImportResolver {
  return {
    read(location: string): string | undefined {
      if (location.startsWith('builtin:')) {
        return /\/types(_1_\d)?\.ya?ml$/.test(location) || location === 'builtin:types.yaml'
          ? BUILTIN_TYPES_YAML
          : undefined;
      }
      return inner.read(location);
    },
  };
}
