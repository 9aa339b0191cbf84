import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PacmanTestRepo } from '../../../tools/pacman-test-repo/generate.mjs';
import { bootstrapPacman, readPacmanPackage } from '../src/index.js';
import { mtreeFiles } from '../src/pacman/install/mtree-files.js';
import { pacmanTestRepo } from './pacman-fixtures.js';
import { writeTestRepository } from './pacman-package-builder.js';

describe('mtreeFiles', () => {
  let repo: PacmanTestRepo;
  const work = mkdtempSync(join(tmpdir(), 'pacman-mtree-'));
  beforeAll(async () => {
    repo = await pacmanTestRepo();
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("lists what each generated package's archive holds (bsdtar's mtree, as makepkg writes it)", async () => {
    for (const { dir } of repo.repos) {
      for (const name of readdirSync(dir).filter((f) => f.includes('.pkg.tar.'))) {
        const contents = await readPacmanPackage(join(dir, name));
        expect(contents.mtree, name).toBeDefined();
        expect([...mtreeFiles(contents.mtree)!].sort(), name).toEqual([...contents.files].sort());
      }
    }
  });

  it('decodes octal escapes as UTF-8 bytes and skips comments, /set lines and dot-files', () => {
    const text = [
      '#mtree',
      '/set type=file uid=0 gid=0 mode=644',
      './.PKGINFO time=1.0 size=10',
      './usr type=dir mode=755',
      './usr/share/caf\\303\\251\\040menu time=1.0 size=3',
      '..',
    ].join('\n');
    expect(mtreeFiles(gzipSync(text))).toEqual(['usr/', 'usr/share/café menu']);
  });

  it('is undefined without an .MTREE or when it does not decompress', () => {
    expect(mtreeFiles(undefined)).toBeUndefined();
    expect(mtreeFiles(Buffer.from('not gzip'))).toBeUndefined();
  });

  it('a package whose .MTREE leaves out its hook still has the hook run (the install is done again with the namespace)', async () => {
    const hook = [
      '[Trigger]',
      'Operation = Install',
      'Type = Path',
      'Target = *',
      '',
      '[Action]',
      'When = PostTransaction',
      'Exec = /usr/bin/hook-marker',
      '',
    ].join('\n');
    const dir = join(work, 'lying');
    writeTestRepository(join(dir, 'repo'), 'test', [
      {
        name: 'lying',
        // Lists only usr/: not the hook, which would call for the image's namespace.
        mtree: '#mtree\n./usr type=dir\n',
        members: [
          { path: 'usr/', type: 'dir' },
          { path: 'usr/share/', type: 'dir' },
          { path: 'usr/share/libalpm/', type: 'dir' },
          { path: 'usr/share/libalpm/hooks/', type: 'dir' },
          { path: 'usr/share/libalpm/hooks/marker.hook', data: hook },
        ],
      },
    ]);
    mkdirSync(join(dir, 'out'));
    const result = await bootstrapPacman({
      repositories: [{ name: 'test', folder: join(dir, 'repo') }],
      include: ['lying'],
      target: join(dir, 'out', 'root'),
      cacheDir: join(dir, 'cache'),
      strictScripts: false,
    });
    // The hook's program is not in the image: it fails, reported, which it can only do when it ran.
    expect(result.hooks.map((h) => [h.name, h.when, h.status])).toEqual([['marker.hook', 'PostTransaction', 'failed']]);
    expect(readdirSync(join(dir, 'out'))).toEqual(['root']);
    expect(readFileSync(join(dir, 'out', 'root', 'usr/share/libalpm/hooks/marker.hook'), 'utf8')).toBe(hook);
  });
});
