// The pacman sources in profiles: the schema's defaults, the package-name rule at its line, the
// repositories a source stands for (file:// mirrors relative to the profile keep $repo/$arch), and
// a target no repository has located where the profile asks for it.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelPackageOf, loadProfile, locatingUnsatisfiable, parseProfile } from '@distroforge/cli';
import { PacmanUnsatisfiableError } from '@distroforge/rootfs-bootstrap';
import { pacmanRepositories } from '../src/pipeline/pacman-plan.js';

async function profileDir(yaml: string, packages: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pacman-source-'));
  await writeFile(join(dir, 'profile.yaml'), yaml);
  await writeFile(join(dir, 'packages.txt'), packages);
  return dir;
}

describe('pacman sources', () => {
  it('default to core then extra, x86_64, signatures required; the kernel package is linux', () => {
    const p = parseProfile('name: a\nsource: { type: pacman, mirror: "https://m.example/$repo/os/$arch" }\n');
    expect(p.source).toEqual({
      type: 'pacman',
      mirror: 'https://m.example/$repo/os/$arch',
      repos: ['core', 'extra'],
      arch: 'x86_64',
      sigLevel: 'required',
    });
    expect(kernelPackageOf(p)).toBe('linux');
    const dir = parseProfile('name: a\nsource: { type: pacman-dir, location: ./pkgs }\n');
    expect(dir.source).toEqual({ type: 'pacman-dir', location: './pkgs', sigLevel: 'optional' });
    expect(() => parseProfile('name: a\nsource: { type: pacman, mirror: x, sigLevel: never }\n')).toThrow(/sigLevel/);
  });

  it('refuses a packages.txt entry that is no pacman name, at its line', async () => {
    const dir = await profileDir('name: a\nsource: { type: pacman, mirror: "file:///srv/$repo" }\n', 'base\n-bad\n');
    await expect(loadProfile(dir)).rejects.toMatchObject({
      code: 'ERR_PROFILE_INVALID',
      path: `${join(dir, 'packages.txt')}:2:1`,
    });
  });

  it('stands for its repositories in order; a plain mirror path is a file:// mirror relative to the profile, $repo and $arch kept', async () => {
    expect(
      pacmanRepositories('/p', {
        type: 'pacman',
        mirror: 'https://m.example/$repo/os/$arch',
        repos: ['core', 'extra'],
        arch: 'x86_64',
        sigLevel: 'off',
      }),
    ).toEqual([
      { name: 'core', server: 'https://m.example/$repo/os/$arch' },
      { name: 'extra', server: 'https://m.example/$repo/os/$arch' },
    ]);
    expect(
      pacmanRepositories('/p', {
        type: 'pacman',
        mirror: 'mirror/$repo/os/$arch',
        repos: ['core'],
        arch: 'x86_64',
        sigLevel: 'off',
      }),
    ).toEqual([{ name: 'core', server: 'file:///p/mirror/$repo/os/$arch' }]);
    // A folder is one repository: named after its one NAME.db, else after the folder.
    const folder = await mkdtemp(join(tmpdir(), 'pacman-dir-'));
    await mkdir(join(folder, 'pkgs'));
    expect(pacmanRepositories(folder, { type: 'pacman-dir', location: 'pkgs', sigLevel: 'off' })).toEqual([
      { name: 'pkgs', folder: join(folder, 'pkgs') },
    ]);
    await writeFile(join(folder, 'pkgs', 'custom.db'), '');
    expect(pacmanRepositories(folder, { type: 'pacman-dir', location: 'pkgs', sigLevel: 'off' })).toEqual([
      { name: 'custom', folder: join(folder, 'pkgs') },
    ]);
  });

  it("locates a target no repository has at its packages.txt line, with a pacman source's hint", async () => {
    const dir = await profileDir(
      'name: a\nsource: { type: pacman, mirror: "file:///srv/$repo" }\n',
      'base\nno-such-pkg\n',
    );
    const loaded = await loadProfile(dir);
    const failing = locatingUnsatisfiable(loaded, async () => {
      throw new PacmanUnsatisfiableError(
        ['no-such-pkg'],
        'target not found (no package, provider or group of that name)',
      );
    });
    await expect(failing).rejects.toBeInstanceOf(PacmanUnsatisfiableError);
    await expect(failing).rejects.toMatchObject({
      code: 'ERR_PACMAN_UNSATISFIABLE',
      path: `${join(dir, 'packages.txt')}:2:1`,
      hint: expect.stringContaining('source.mirror and source.repos'),
    });
  });
});
