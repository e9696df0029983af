// Legacy group policies (dsl 1_0 `groups.<g>.policies`, elements/policies.py GroupPolicy): each policy
// names a `policy_types` entry (41) and each trigger a `policy_triggers` entry (42); their properties and
// parameters are merged over the type's schema (unknown 106, missing mandatory 107, wrong type 105).
import { logicError } from './errors.js';
import { isDict } from './schema.js';
import {
  checkSchemaTypes,
  type Defs,
  type MergeContext,
  mergeProperties,
  schemaWithDefaults,
} from './types.js';

const merged = (schema: unknown, values: unknown, merge: MergeContext, owner: string) =>
  mergeProperties(isDict(schema) ? schema : {}, isDict(values) ? values : {}, merge, owner, false, {
    undefinedMsg: (p) => `${owner} '${p}' property is not part of the policy type properties schema`,
    missingMsg: (p) =>
      `${owner} does not provide a value for mandatory '${p}' property which is part of its policy type schema`,
  });

export function groupPolicies(
  groups: Record<string, any>,
  policyTypes: Defs,
  policyTriggers: Defs,
  merge: MergeContext,
): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [g, group] of Object.entries(groups)) {
    const policies: Record<string, any> = {};
    for (const [p, def] of Object.entries<any>(group.policies ?? {})) {
      if (!(def.type in policyTypes))
        throw logicError(
          41,
          `Policy '${p}' of group '${g}' references a non existent policy type '${def.type}'`,
        );
      const triggers: Record<string, any> = {};
      for (const [t, trig] of Object.entries<any>(def.triggers ?? {})) {
        if (!(trig.type in policyTriggers)) {
          throw logicError(
            42,
            `Trigger '${t}' of policy '${p}' of group '${g}' references a non existent 'policy trigger '${trig.type}'`,
          );
        }
        triggers[t] = {
          type: trig.type,
          parameters: merged(
            policyTriggers[trig.type].parameters,
            trig.parameters,
            merge,
            `group '${g}', policy '${p}' trigger '${t}'`,
          ),
        };
      }
      policies[p] = {
        type: def.type,
        properties: merged(
          policyTypes[def.type].properties,
          def.properties,
          merge,
          `group '${g}', policy '${p}'`,
        ),
        triggers,
      };
    }
    out[g] = { ...group, policies };
  }
  return out;
}

/** policy_types properties and policy_triggers parameters: known types (103), defaults that fit (105). */
export function checkPolicySchemas(policyTypes: Defs, policyTriggers: Defs, merge: MergeContext): void {
  for (const [defs, key, sec] of [
    [policyTypes, 'properties', 'policy_types'],
    [policyTriggers, 'parameters', 'policy_triggers'],
  ] as const) {
    for (const [name, d] of Object.entries(defs)) {
      if (!isDict(d?.[key])) continue;
      checkSchemaTypes(d[key], merge.dataTypes, `${sec}.${name}.${key}`);
      schemaWithDefaults(defs, [name], merge, key);
    }
  }
}
