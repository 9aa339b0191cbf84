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
  if (path) rows.push(`| \`${path}\` | ${typeText(schema)} | ${required ? 'yes' : ''} | ${schema.default === undefined ? '' : `\`${JSON.stringify(schema.default)}\``} | ${(schema.description ?? '').replaceAll('|', '\\|')} |`);
  if (variants) {
    const seen = new Set<string>();
    for (const v of variants) {
      for (const [key, child] of Object.entries(v.properties ?? {})) {
        const childPath = `${path}.${key}`;
        if (seen.has(key) && key !== 'type') continue;
        if (key === 'type' && seen.has(key)) continue;
        seen.add(key);
        walk(key === 'type' ? { ...child, enum: variants.flatMap((x) => x.properties?.type?.enum ?? (x.properties?.type?.const === undefined ? [] : [x.properties.type.const])) } : child, childPath, (v.required ?? []).includes(key), rows);
      }
    }
    return;
  }
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    walk(child, path ? `${path}.${key}` : key, (schema.required ?? []).includes(key), rows);
  }
  if (schema.items && (schema.items.properties || schema.items.anyOf)) walk({ ...schema.items, description: undefined, default: undefined }, `${path}[]`, false, rows);
}

function typeText(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s.const !== undefined) return `\`${String(s.const)}\``;
  if (s.oneOf ?? s.anyOf) return 'one of the variants below';
  if (s.type === 'array') return `list of ${s.items ? typeText(s.items) : 'any'}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return `map of ${typeText(s.additionalProperties)}`;
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  return s.type ?? 'any';
}
