import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
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

  it('reads and unpacks a package given as a symlink named .pkg.tar (as the CLI links local package files; zstd skips links named as files)', async () => {
    const file = packageFile('busybox');
    const link = join(mkdtempSync(join(work, 'link-')), 'busybox.pkg.tar');
    symlinkSync(file, link);
    const metadata = await readPacmanPackageMetadata(link);
    expect(metadata.info.name).toBe('busybox');
    const viaLink = await unpackPacmanPackage(link, mkdtempSync(join(work, 'c-')), { chown: false });
    const direct = await unpackPacmanPackage(file, mkdtempSync(join(work, 'd-')), { chown: false });
    expect(viaLink).toEqual(direct);
  });
});
