// The plan's `data_types` and `relationships` sections as the reference writes them: every type with
// its inherited property schema (data-type defaults completed), interfaces merged along the hierarchy
// with operations in their long form, and the schema's optional fields present as null.
import { mergeTypeInterfaces, type PluginsCtx, resolveImplementation } from './operations.js';
import { type Defs, type MergeContext, schemaWithDefaults, typeHierarchy } from './types.js';

export function planDataTypes(dataTypes: Defs, merge: MergeContext): Defs {
  return Object.fromEntries(
    Object.entries(dataTypes).map(([name, d]) => [
      name,
      {
        description: null,
        derived_from: null,
        version: null,
        ...d,
        properties: structuredClone(merge.dataTypeProps(name)),
      },
    ]),
  );
}

export function planRelationships(relTypes: Defs, merge: MergeContext): Defs {
  return Object.fromEntries(
    Object.entries(relTypes).map(([name, r]) => {
      const hierarchy = typeHierarchy(relTypes, name, 'relationship');
      const defs = hierarchy.map((t) => relTypes[t]);
      const { derived_from, ...rest } = r;
      return [
        name,
        {
          ...rest,
          ...(derived_from ? { derived_from } : {}),
          properties: structuredClone(schemaWithDefaults(relTypes, hierarchy, merge)),
          source_interfaces: mergeTypeInterfaces(defs.map((d) => d.source_interfaces)),
          target_interfaces: mergeTypeInterfaces(defs.map((d) => d.target_interfaces)),
          name,
          type_hierarchy: hierarchy,
        },
      ];
    }),
  );
}

/** Every relationship type's operations map to a declared plugin or a script (19), used or not. */
export function checkRelationshipOperations(relTypes: Defs, ctx: Omit<PluginsCtx, 'missingCode'>): void {
  for (const name of Object.keys(relTypes)) {
    const defs = typeHierarchy(relTypes, name, 'relationship').map((t) => relTypes[t]);
    for (const key of ['source_interfaces', 'target_interfaces']) {
      for (const [i, ops] of Object.entries(mergeTypeInterfaces(defs.map((d) => d[key])))) {
        for (const [o, op] of Object.entries(ops)) {
          if (op.implementation)
            resolveImplementation(
              op.implementation,
              op.inputs ?? {},
              { ...ctx, missingCode: 19 },
              `${i}.${o}`,
            );
        }
      }
    }
  }
}
