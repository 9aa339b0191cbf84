import { writeFile } from 'node:fs/promises';
import { cycloneDxDocument } from './cyclonedx-document.js';
import type { SbomSubject } from './sbom-subject.js';
import { spdxDocument } from './spdx-document.js';

/** Writes the SPDX 2.3 and CycloneDX 1.5 JSON documents of an image (two-space indented, final newline). */
export async function writeSboms(subject: SbomSubject, files: { spdx: string; cycloneDx: string }): Promise<void> {
  await writeFile(files.spdx, `${JSON.stringify(spdxDocument(subject), null, 2)}\n`);
  await writeFile(files.cycloneDx, `${JSON.stringify(cycloneDxDocument(subject), null, 2)}\n`);
}
