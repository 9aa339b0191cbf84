import { emptyManifest, mergeManifest, type Manifest } from '@distroforge/core';
import { createSquashfs } from '@distroforge/squashfs-wrap';
import { execa } from 'execa';
import { chmod, link, mkdir, mkdtemp, rename, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOverlayLayer } from '../src/pipeline/overlay-layer.js';

const epoch = 1_700_000_000;
let work: string;
let base: string;
let final: string;

const baseManifest: Manifest = mergeManifest(emptyManifest(), [
  { path: '/etc/shadow', uid: 0, gid: 42, mode: 0o640 },
  { path: '/dev/null', type: 'char', major: 1, minor: 3, mode: 0o666 },
  { path: '/dev/old', type: 'block', major: 8, minor: 0, mode: 0o660 },
]);
const finalManifest: Manifest = mergeManifest(emptyManifest(), [
  { path: '/etc/shadow', uid: 0, gid: 42, mode: 0o600 },
  { path: '/dev/null', type: 'char', major: 1, minor: 3, mode: 0o666 },
  { path: '/dev/console', type: 'char', major: 5, minor: 1, mode: 0o600 },
  { path: '/home/live', uid: 1000, gid: 1000, mode: 0o700 },
  { path: '/home/live/.profile', uid: 1000, gid: 1000 },
]);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cli-layer-'));
  base = join(work, 'base');
  for (const dir of [
    'etc/skel',
    'usr/bin',
    'usr/share/doc/pkg',
    'var/cache/gone/deep',
    'dev',
    'opt/becomes-file',
    'home',
  ])
    await mkdir(join(base, dir), { recursive: true });
  await writeFile(join(base, 'etc/shadow'), 'root:*:19000::::::\n');
  await writeFile(join(base, 'etc/motd'), 'welcome\n');
  await writeFile(join(base, 'usr/bin/tool'), 'x'.repeat(50_000));
  await writeFile(join(base, 'usr/bin/untouched'), 'y'.repeat(50_000));
  await link(join(base, 'usr/bin/tool'), join(base, 'usr/bin/tool-alias'));
  await writeFile(join(base, 'usr/share/doc/pkg/README'), 'docs\n');
  await writeFile(join(base, 'var/cache/gone/deep/file'), 'cache\n');
  await writeFile(join(base, 'opt/becomes-file/inside'), 'inside\n');
  await writeFile(join(base, 'opt/becomes-dir'), 'a file\n');
  await symlink('/etc/motd', join(base, 'etc/issue'));
  for (const path of ['etc/shadow', 'etc/motd', 'usr/bin/tool'])
    await utimes(join(base, path), epoch - 100, epoch - 100);

  // As the overlay stage makes it: a hard-link farm of the base, files replaced by temp + rename.
  final = join(work, 'final');
  await execa('cp', ['-a', '--link', '--no-target-directory', base, final]);
  await writeFile(join(final, 'etc/motd.new'), 'changed\n');
  await rename(join(final, 'etc/motd.new'), join(final, 'etc/motd'));
  await unlink(join(final, 'usr/share/doc/pkg/README'));
  await rm(join(final, 'var/cache/gone'), { recursive: true });
  await rm(join(final, 'opt/becomes-file'), { recursive: true });
  await writeFile(join(final, 'opt/becomes-file'), 'now a file\n');
  await unlink(join(final, 'opt/becomes-dir'));
  await mkdir(join(final, 'opt/becomes-dir'));
  await writeFile(join(final, 'opt/becomes-dir/child'), 'child\n');
  await unlink(join(final, 'usr/bin/tool-alias'));
  await mkdir(join(final, 'home/live'));
  await writeFile(join(final, 'home/live/.profile'), 'PS1=x\n');
  await unlink(join(final, 'etc/issue'));
  await symlink('/etc/hostname', join(final, 'etc/issue'));
  await chmod(join(final, 'etc/skel'), 0o700);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Listed {
  kind: string;
  mode: string;
  owner: string;
  size: string;
  target: string;
}

/** unsquashfs -lln: path -> type, permissions, owner, size (or device numbers) and symlink target. */
async function listImage(image: string): Promise<Map<string, Listed>> {
  const { stdout } = await execa('unsquashfs', ['-lln', '-UTC', '-d', '', image]);
  const out = new Map<string, Listed>();
  for (const line of stdout.split('\n').filter(Boolean)) {
    const m = /^(\S)(\S{9}) (\d+\/\d+)\s+(\d+|\d+,\s*\d+) \S+ \S+ ?(.*)$/.exec(line);
    if (!m) throw new Error(`unexpected unsquashfs line: ${line}`);
    const [path, target = ''] = m[5]!.split(' -> ');
    // A directory's size is its listing's size in that one image, not something overlayfs shows.
    out.set(path || '/', {
      kind: m[1]!,
      mode: m[2]!,
      owner: m[3]!,
      size: m[1] === 'd' ? '' : m[4]!.replace(/\s+/g, ''),
      target,
    });
  }
  return out;
}

/** What overlayfs shows for `layer` stacked over `lower`: whiteouts hide, a non-directory hides what was below. */
function merge(lower: Map<string, Listed>, layer: Map<string, Listed>): Map<string, Listed> {
  const merged = new Map(lower);
  const dropBelow = (path: string) => {
    for (const p of [...merged.keys()])
      if (p.startsWith(path === '/' ? '/' : `${path}/`) && p !== path) merged.delete(p);
  };
  for (const [path, entry] of [...layer].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const below = merged.get(path);
    if (entry.kind === 'c' && entry.size === '0,0') {
      merged.delete(path);
      dropBelow(path);
      continue;
    }
    if (entry.kind !== 'd' || below?.kind !== 'd') dropBelow(path);
    merged.set(path, entry);
  }
  return merged;
}

describe('buildOverlayLayer', () => {
  it('stacked over an image of the base, shows exactly what an image of the final tree holds', async () => {
    const image = (source: string, manifest: Manifest, name: string) =>
      createSquashfs({
        source,
        output: join(work, name),
        manifest,
        compression: { algorithm: 'gzip' },
        sourceDateEpoch: epoch,
        logFile: join(work, `${name}.log`),
      });
    const layer = await buildOverlayLayer(
      { directory: base, manifest: baseManifest },
      { directory: final, manifest: finalManifest },
      join(work, 'layer'),
      epoch,
    );
    await Promise.all([
      image(base, baseManifest, 'base.sqfs'),
      image(final, finalManifest, 'full.sqfs'),
      image(join(work, 'layer'), layer.manifest, 'layer.sqfs'),
    ]);

    const merged = merge(await listImage(join(work, 'base.sqfs')), await listImage(join(work, 'layer.sqfs')));
    const full = await listImage(join(work, 'full.sqfs'));
    expect(Object.fromEntries([...merged].sort())).toEqual(Object.fromEntries([...full].sort()));

    // Small: the untouched files stay in the base; removals are single whiteouts, not one per child.
    const layered = await listImage(join(work, 'layer.sqfs'));
    expect(layered.has('/usr/bin/untouched')).toBe(false);
    expect(layered.has('/usr/bin/tool')).toBe(true); // its hard-link set changed
    expect(layered.get('/usr/share/doc/pkg/README')).toMatchObject({ kind: 'c', size: '0,0' });
    expect(layered.get('/var/cache/gone')).toMatchObject({ kind: 'c', size: '0,0' });
    expect(layered.has('/var/cache/gone/deep')).toBe(false);
    expect(layered.get('/dev/old')).toMatchObject({ kind: 'c', size: '0,0' });
    expect(layer.whiteouts).toBe(4); // README, gone, /usr/bin/tool-alias, /dev/old
    expect(layered.get('/etc/shadow')).toMatchObject({ mode: 'rw-------', owner: '0/42' });
  });

  it('is only the root directory when nothing changed', async () => {
    const same = join(work, 'same');
    await execa('cp', ['-a', '--link', '--no-target-directory', base, same]);
    const layer = await buildOverlayLayer(
      { directory: base, manifest: baseManifest },
      { directory: same, manifest: baseManifest },
      join(work, 'layer-same'),
      epoch,
    );
    expect(layer).toMatchObject({ changed: 0, whiteouts: 0 });
    expect(layer.manifest.entries.map((e) => e.path)).toEqual(['/']);
  });
});
