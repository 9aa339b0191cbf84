import { profileJsonSchema } from './profile-json-schema.js';

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  pattern?: string;
}

/** The profile reference page (docs/profile-reference.md), generated from the zod schema. */
export function profileReferenceMarkdown(): string {
  const rows: string[] = [];
  walk(profileJsonSchema() as JsonSchema, '', true, rows);
  return [
    '# profile.yaml reference',
    '',
    '<!-- Generated from the zod schema in packages/cli/src/profile/profile-schema.ts; do not edit.',
    '     Regenerate: UPDATE_SNAPSHOTS=1 npx nx run @distroforge/cli:test -->',
    '',
    'Editors can validate profiles with [`profile.schema.json`](../packages/cli/schema/profile.schema.json).',
    'Unknown keys are errors. Paths use `.` for objects and `[]` for list items.',
    '',
    '| key | type | required | default | description |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

function walk(schema: JsonSchema, path: string, required: boolean, rows: string[]): void {
  const variants = schema.oneOf ?? schema.anyOf;
  if (path)
    rows.push(
      `| \`${path}\` | ${typeText(schema)} | ${required ? 'yes' : ''} | ${schema.default === undefined ? '' : `\`${JSON.stringify(schema.default)}\``} | ${(schema.description ?? '').replaceAll('|', '\\|')} |`,
    );
  if (variants) {
    // A union told apart by `type` (the sources): `type` once with every value, then each key of
    // each variant, its description prefixed with the types it belongs to; a key that is the same
    // in several variants (schema and whether it is required) is listed once for all of them.
    const typesOf = (v: JsonSchema) =>
      (v.properties?.type?.enum ?? (v.properties?.type?.const === undefined ? [] : [v.properties.type.const])).map(
        String,
      );
    const allTypes = variants.flatMap(typesOf);
    if (allTypes.length > 0)
      walk(
        {
          ...(variants[0]?.properties?.type ?? {}),
          enum: allTypes,
          description: 'selects the variant; the rows below say which types take each key',
        },
        `${path}.type`,
        true,
        rows,
      );
    const groups = new Map<string, { key: string; child: JsonSchema; required: boolean; types: string[] }>();
    for (const v of variants) {
      for (const [key, child] of Object.entries(v.properties ?? {})) {
        if (key === 'type' && allTypes.length > 0) continue;
        const required = (v.required ?? []).includes(key);
        const id = JSON.stringify([key, child, required]);
        const group = groups.get(id) ?? { key, child, required, types: [] };
        group.types.push(...typesOf(v));
        groups.set(id, group);
      }
    }
    for (const { key, child, required, types } of groups.values()) {
      const which = types.length > 0 && types.length < allTypes.length ? `(${types.join(', ')}) ` : '';
      walk(
        { ...child, description: `${which}${child.description ?? ''}`.trim() || undefined },
        `${path}.${key}`,
        required,
        rows,
      );
    }
    return;
  }
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    walk(child, path ? `${path}.${key}` : key, (schema.required ?? []).includes(key), rows);
  }
  if (schema.items && (schema.items.properties || schema.items.anyOf))
    walk({ ...schema.items, description: undefined, default: undefined }, `${path}[]`, false, rows);
}

function typeText(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s.const !== undefined) return `\`${String(s.const)}\``;
  if (s.oneOf ?? s.anyOf) return 'one of the variants below';
  if (s.type === 'array') return `list of ${s.items ? typeText(s.items) : 'any'}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object')
    return `map of ${typeText(s.additionalProperties)}`;
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  return s.type ?? 'any';
}
