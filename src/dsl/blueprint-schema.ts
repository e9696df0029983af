// The shape of every top-level section, after the reference's element schemas (elements/*.py).
import { DEPLOYMENT_SETTINGS_SCHEMA } from './deployment-settings.js';
import { opt, req, type Schema } from './schema.js';

const propertySchema = (extra: Record<string, Schema> = {}): Schema => ({
  mapOf: {
    dict: {
      required: opt('boolean'),
      default: opt('any'),
      description: opt('string'),
      type: opt('string'),
      ...Object.fromEntries(Object.entries(extra).map(([k, s]) => [k, opt(s)])),
    },
  },
});

const schemaProps = propertySchema({ display_label: 'string', hidden: 'boolean', item_type: 'string' });
const inputLike = propertySchema({
  item_type: 'string',
  constraints: { list: 'any' },
  display_label: 'string',
  hidden: 'boolean',
  display: 'dict',
});

const opFields = {
  implementation: opt('string'),
  inputs: opt('dict'),
  executor: opt('string'),
  max_retries: opt('integer'),
  retry_interval: opt('number'),
  timeout: opt('integer'),
  timeout_recoverable: opt('boolean'),
};
const typeOperation: Schema = { oneOf: ['string', { dict: { ...opFields, inputs: opt(schemaProps) } }] };
const templateOperation: Schema = { oneOf: ['string', { dict: opFields }] };
const typeInterfaces: Schema = { mapOf: { mapOf: typeOperation } };
const templateInterfaces: Schema = { mapOf: { mapOf: templateOperation } };

const outputLike: Schema = { mapOf: { dict: { description: opt('string'), value: req('any') } } };
const labelsSchema: Schema = { mapOf: { dict: { values: req({ list: 'any' }) } } };

export const BLUEPRINT_SCHEMA: Record<string, Schema> = {
  tosca_definitions_version: 'string',
  description: 'string',
  imports: { list: { oneOf: ['string', { mapOf: 'dict' }] } },
  dsl_definitions: 'any',
  metadata: 'dict',
  inputs: inputLike,
  plugins: {
    mapOf: {
      dict: {
        source: opt('string'),
        executor: req('string'),
        install: opt('boolean'),
        install_arguments: opt('string'),
        package_name: opt('string'),
        package_version: opt('string'),
        supported_platform: opt('string'),
        distribution: opt('string'),
        distribution_version: opt('string'),
        distribution_release: opt('string'),
        properties: opt('dict'),
        properties_description: opt('string'),
      },
    },
  },
  node_types: {
    mapOf: {
      dict: {
        derived_from: opt('string'),
        interfaces: opt(typeInterfaces),
        properties: opt(schemaProps),
        runtime_properties: opt(schemaProps),
      },
    },
  },
  relationships: {
    mapOf: {
      dict: {
        derived_from: opt('string'),
        properties: opt(schemaProps),
        source_interfaces: opt(typeInterfaces),
        target_interfaces: opt(typeInterfaces),
      },
    },
  },
  data_types: {
    mapOf: {
      dict: {
        derived_from: opt('string'),
        description: opt('string'),
        version: opt('string'),
        properties: opt(schemaProps),
      },
    },
  },
  node_templates: {
    mapOf: {
      dict: {
        type: req('string'),
        instances: opt({ dict: { deploy: req('integer') } }),
        capabilities: opt({ dict: { scalable: opt({ dict: { properties: opt('dict') } }) } }),
        interfaces: opt(templateInterfaces),
        relationships: opt({
          list: {
            dict: {
              type: req('string'),
              target: req('string'),
              properties: opt('dict'),
              source_interfaces: opt(templateInterfaces),
              target_interfaces: opt(templateInterfaces),
            },
          },
        }),
        properties: opt('dict'),
      },
    },
  },
  workflows: {
    mapOf: {
      oneOf: [
        'string',
        {
          dict: {
            mapping: req('string'),
            parameters: opt(inputLike),
            is_cascading: opt('boolean'),
            availability_rules: opt('dict'),
          },
        },
      ],
    },
  },
  groups: {
    mapOf: {
      dict: {
        members: req({ list: 'string', nonEmpty: true }),
        policies: opt({
          mapOf: {
            dict: {
              type: req('string'),
              properties: opt('dict'),
              triggers: opt({ mapOf: { dict: { type: req('string'), parameters: opt('dict') } } }),
            },
          },
        }),
      },
    },
  },
  policies: {
    mapOf: { dict: { type: req('string'), targets: req({ list: 'string' }), properties: opt('dict') } },
  },
  policy_types: { mapOf: { dict: { properties: opt(propertySchema()), source: req('string') } } },
  policy_triggers: { mapOf: { dict: { parameters: opt(propertySchema()), source: req('string') } } },
  outputs: outputLike,
  capabilities: outputLike,
  labels: labelsSchema,
  blueprint_labels: labelsSchema,
  resource_tags: 'dict',
  deployment_settings: DEPLOYMENT_SETTINGS_SCHEMA,
};
