// Read a package's header (no payload read), verify its digests, extract it without root, and
// turn the owner names into ids with the target's passwd/group.
import { extractRpm, idResolver, readRpm, toCoreManifest, verifyRpm } from '@distroforge/rpm-extract';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const rpm = process.argv[2] ?? fileURLToPath(new URL('../test/corpus/hello-2.0-1.x86_64.rpm', import.meta.url));
const pkg = await readRpm(rpm);
console.log(`${pkg.nevra}: ${pkg.summary}; ${pkg.license}; ${pkg.files.length} files; ${pkg.payload.compressor} payload`);
console.log(`requires: ${pkg.requires.map((d) => `${d.name}${d.comparison ? ` ${d.comparison} ${d.version}` : ''}`).join(', ')}`);

const verdict = await verifyRpm(rpm);
console.log(`verify: ${verdict.checks.map((c) => `${c.name} ${c.ok ? 'ok' : 'BAD'}`).join(', ')}`);

const work = await mkdtemp(join(tmpdir(), 'rpm-extract-example-'));
const result = await extractRpm(rpm, join(work, 'root'));
console.log(`extracted ${result.filesWritten} files, ${result.bytesWritten} bytes`);
const ids = idResolver(new Map([['root', 0]]), new Map([['root', 0]]));
for (const e of toCoreManifest(result.manifest, ids).entries) {
  console.log(`${e.type?.padEnd(4)} ${e.mode?.toString(8).padStart(4, '0')} ${e.uid}/${e.gid} ${e.path}`);
}
await rm(work, { recursive: true });
