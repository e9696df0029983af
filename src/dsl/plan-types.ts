// The plan's `data_types` and `relationships` sections as the reference writes them: every type with
// its inherited property schema (data-type defaults completed), interfaces merged along the hierarchy
// with operations in their long form, and the schema's optional fields present as null.
import { mergeTypeInterfaces } from './operations.js';
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
