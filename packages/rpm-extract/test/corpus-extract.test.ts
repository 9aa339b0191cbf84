import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractRpm, RpmError, verifyRpm } from '@distroforge/rpm-extract';
import { corpusDir, corpusPackages, expected, parseDump } from './corpus.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rpm-extract-corpus-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const digestAlgorithm = (hex: string) => (hex.length === 32 ? 'md5' : hex.length === 40 ? 'sha1' : 'sha256');

describe('corpus: verification matches rpm -K, extraction matches the digests', () => {
  for (const name of corpusPackages) {
    const checksig = expected(name, 'checksig')!;
    const rpmSaysOk = /rc=0/.test(checksig);

    it(`${name}: verifyRpm({files:false}) agrees with rpm -K (${rpmSaysOk ? 'OK' : 'NOT OK'})`, async () => {
      const result = await verifyRpm(join(corpusDir, name), { files: false });
      expect(result.ok).toBe(rpmSaysOk);
      expect(/digests OK/.test(checksig)).toBe(rpmSaysOk);
    });

    it(`${name}: verifyRpm with file digests agrees too`, async () => {
      const result = await verifyRpm(join(corpusDir, name));
      expect(result.ok).toBe(rpmSaysOk);
    });

    it(`${name}: extractRpm writes every file with its digest, mode and mtime (or fails typed when corrupt)`, async () => {
      const target = join(work, name);
      if (!rpmSaysOk) {
        const error = await extractRpm(join(corpusDir, name), target).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RpmError);
        expect(existsSync(target)).toBe(false);
        return;
      }
      const result = await extractRpm(join(corpusDir, name), target);
      const want = parseDump(expected(name, 'dump')!);
      for (const line of want) {
        const onDisk = join(target, line.path);
        const mode = Number.parseInt(line.mode, 8);
        const type = mode & 0o170000;
        if (type === 0o100000) {
          const bytes = readFileSync(onDisk);
          expect(createHash(digestAlgorithm(line.digest)).update(bytes).digest('hex'), line.path).toBe(line.digest);
          expect(statSync(onDisk).mode & 0o7777, line.path).toBe(mode & 0o7777);
          expect(statSync(onDisk).mtimeMs / 1000, line.path).toBe(line.mtime);
        } else if (type === 0o040000) {
          expect(statSync(onDisk).isDirectory()).toBe(true);
          expect(statSync(onDisk).mode & 0o7777, line.path).toBe(mode & 0o7777);
        } else if (type === 0o120000) {
          expect(readlinkSync(onDisk)).toBe(line.link);
          expect(lstatSync(onDisk).isSymbolicLink()).toBe(true);
        }
        const entry = result.manifest.entries.find(
          (e) => e.path === (line.path.startsWith('/') ? line.path : `/${line.path}`),
        );
        expect(entry, line.path).toMatchObject({ user: line.user, group: line.group, mode: mode & 0o7777 });
      }
      expect(result.checks.every((c) => c.ok)).toBe(true);
    });
  }
});
