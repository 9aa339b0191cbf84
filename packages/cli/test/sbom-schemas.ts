// Validators of the official SPDX 2.3 and CycloneDX 1.5 JSON schemas (see fixtures/sbom-schemas/README.md).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import addDraft2019Formats from 'ajv-formats-draft2019';

const require = createRequire(import.meta.url);
const cyclonedxSchemas = join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res', 'schema');
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

function validator(schema: Record<string, unknown>, extra: Record<string, unknown>[] = []) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  // iri-reference and idn-email, which the CycloneDX schema uses.
  addDraft2019Formats(ajv);
  for (const s of extra) ajv.addSchema(s);
  const validate = ajv.compile(schema);
  return (document: unknown): ErrorObject[] => (validate(document) ? [] : (validate.errors ?? []));
}

/** The errors of an SPDX 2.3 JSON document against spdx-spec v2.3's schema (none: valid). */
export const spdxErrors = validator(
  json(join(import.meta.dirname, 'fixtures', 'sbom-schemas', 'spdx-2.3-schema.json')),
);

/** The errors of a CycloneDX 1.5 JSON BOM against the specification's bom-1.5 schema (none: valid). */
export const cycloneDxErrors = validator(json(join(cyclonedxSchemas, 'bom-1.5.SNAPSHOT.schema.json')), [
  // bom-1.5 refers to them by these names, relative to its own $id.
  {
    ...json(join(cyclonedxSchemas, 'spdx.SNAPSHOT.schema.json')),
    $id: 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json',
  },
  {
    ...json(join(cyclonedxSchemas, 'jsf-0.82.SNAPSHOT.schema.json')),
    $id: 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json',
  },
]);
