import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PacmanTestRepo } from '../../../tools/pacman-test-repo/generate.mjs';
import { readPacmanPackage, readPacmanPackageMetadata, unpackPacmanPackage } from '../src/index.js';
import { pacmanTestRepo } from './pacman-fixtures.js';

describe('readPacmanPackageMetadata', () => {
  let repo: PacmanTestRepo;
  const work = mkdtempSync(join(tmpdir(), 'pacman-metadata-'));
  beforeAll(async () => {
    repo = await pacmanTestRepo();
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const packageFile = (name: string) => {
    const core = repo.repos.find((r) => r.name === 'core')!;
    const file = readdirSync(core.dir).find((f) => f.startsWith(`${name}-`) && f.includes('.pkg.tar.'));
    return join(core.dir, file!);
  };

  it('gives the metadata readPacmanPackage gives, without a file list, and keeps no archive unless asked', async () => {
    const file = packageFile('busybox');
    const whole = await readPacmanPackage(file);
    const metadata = await readPacmanPackageMetadata(file);
    expect(metadata).toEqual({
      file: whole.file,
      info: whole.info,
      mtree: whole.mtree,
      install: whole.install,
      changelog: whole.changelog,
    });
  });

  it('keeps the decompressed archive when it fits (what zstd -dc gives), and unpacking it equals unpacking the file', async () => {
    const file = packageFile('busybox');
    const metadata = await readPacmanPackageMetadata(file, { keepArchiveBytes: 16 << 20 });
    expect(metadata.archive?.equals(execFileSync('zstd', ['-dc', file], { maxBuffer: 1 << 26 }))).toBe(true);
    const fromFile = await unpackPacmanPackage(file, mkdtempSync(join(work, 'a-')), { chown: false });
    const fromArchive = await unpackPacmanPackage(file, mkdtempSync(join(work, 'b-')), {
      chown: false,
      archive: metadata.archive!,
    });
    expect(fromArchive).toEqual(fromFile);
    expect(fromFile.files).toEqual((await readPacmanPackage(file)).files);
  });

  it('keeps nothing when the archive is larger than asked, and reads it to its end', async () => {
    const file = packageFile('busybox');
    const metadata = await readPacmanPackageMetadata(file, { keepArchiveBytes: 4096 });
    expect(metadata.archive).toBeUndefined();
    expect(metadata.info.name).toBe('busybox');
  });
});
