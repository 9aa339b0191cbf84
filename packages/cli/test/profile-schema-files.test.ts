import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { profileJsonSchema, profileReferenceMarkdown } from '@distroforge/cli';

// The JSON Schema for editors and the docs reference page are generated from the zod schema and
// checked in; this test pins them (UPDATE_SNAPSHOTS=1 rewrites them after a schema change).
const repo = join(import.meta.dirname, '..', '..', '..');
const files = [
  [join(repo, 'packages', 'cli', 'schema', 'profile.schema.json'), `${JSON.stringify(profileJsonSchema(), null, 2)}\n`],
  [join(repo, 'docs', 'profile-reference.md'), profileReferenceMarkdown()],
] as const;

it.each(files)('%s matches the schema', async (file, text) => {
  if (process.env.UPDATE_SNAPSHOTS === '1' || !existsSync(file)) await writeFile(file, text);
  expect(await readFile(file, 'utf8')).toBe(text);
});
