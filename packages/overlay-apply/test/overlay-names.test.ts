// File names at and past the kernel's limits, and names the image's line-based formats cannot
// carry, in overlay trees generated here.
import { emptyManifest, manifestLookup } from '@distroforge/core';
import { link, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyOverlay, applyProfile } from '../src/index.js';
import { makeFixtureRoot, snapshot } from './fixture-root.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function fixture(rootParent?: string): Promise<{ root: string; overlay: string }> {
  const root = await makeFixtureRoot('overlay-apply-root-', rootParent);
  const overlay = await mkdtemp(join(tmpdir(), 'overlay-apply-airootfs-'));
  dirs.push(root, overlay);
  await mkdir(join(overlay, 'etc'));
  return { root, overlay };
}

const ascii255 = 'n'.repeat(255);
const utf8255 = '€'.repeat(85); // 3 bytes each: 255 bytes, 85 UTF-16 units

describe('file names and paths', () => {
  it('copies names of exactly 255 bytes (ASCII and UTF-8): files, directories, symlinks, hard links; a second run changes nothing', async () => {
    const { root, overlay } = await fixture();
    expect(Buffer.byteLength(utf8255)).toBe(255);
    await mkdir(join(overlay, 'etc', utf8255));
    await writeFile(join(overlay, 'etc', utf8255, ascii255), 'long\n', { mode: 0o640 });
    await symlink(ascii255, join(overlay, 'etc', utf8255, 's'.repeat(255)));
    await link(join(overlay, 'etc', utf8255, ascii255), join(overlay, 'etc', ascii255));
    const first = await applyOverlay({ root, overlay, manifest: emptyManifest(), sourceDateEpoch: 1_700_000_000 });
    const file = join(root, 'etc', utf8255, ascii255);
    expect(await readFile(file, 'utf8')).toBe('long\n');
    expect(await readlink(join(root, 'etc', utf8255, 's'.repeat(255)))).toBe(ascii255);
    expect((await stat(join(root, 'etc', ascii255))).ino).toBe((await stat(file)).ino);
    expect(manifestLookup(first.manifest)(`/etc/${utf8255}/${ascii255}`)).toMatchObject({ type: 'file', mode: 0o640 });
    const before = await snapshot(root);
    const second = await applyOverlay({ root, overlay, manifest: first.manifest, sourceDateEpoch: 1_700_000_000 });
    expect(second.changes).toEqual([]);
    expect(await snapshot(root)).toEqual(before);
  });

  it('replaces an existing 255-byte file of the root (the temporary name must not grow from it)', async () => {
    const { root, overlay } = await fixture();
    await writeFile(join(root, 'etc', ascii255), 'old\n');
    await writeFile(join(overlay, 'etc', ascii255), 'new\n');
    const { changes } = await applyOverlay({ root, overlay, manifest: emptyManifest() });
    expect(await readFile(join(root, 'etc', ascii255), 'utf8')).toBe('new\n');
    expect(changes).toEqual([{ path: `/etc/${ascii255}`, action: 'updated' }]);
  });

  it('a name over 255 bytes, from a root symlink target or a permissions key, is ERR_OVERLAY_NAME_TOO_LONG naming it', async () => {
    const { root, overlay } = await fixture();
    const long = 'x'.repeat(256);
    await symlink(`../${long}`, join(root, 'etc/far'));
    await writeFile(join(overlay, 'etc', 'motd'), 'hi\n');
    await mkdir(join(overlay, 'etc', 'far'));
    await writeFile(join(overlay, 'etc', 'far', 'file'), 'x');
    await expect(applyOverlay({ root, overlay, manifest: emptyManifest() })).rejects.toMatchObject({
      code: 'ERR_OVERLAY_NAME_TOO_LONG',
      path: '/etc/far',
      value: long,
      hint: expect.stringContaining('255 bytes'),
    });
    await rm(join(overlay, 'etc', 'far'), { recursive: true });
    const key = `/etc/${'€'.repeat(86)}`; // 258 bytes, only 86 characters
    await expect(
      applyOverlay({ root, overlay, manifest: emptyManifest(), permissions: { [key]: '0:0:0644' } }),
    ).rejects.toMatchObject({
      code: 'ERR_OVERLAY_NAME_TOO_LONG',
      path: key,
    });
  });

  it('a path over 4095 bytes on the host is ERR_OVERLAY_PATH_TOO_LONG naming it, before anything is written', async () => {
    // The overlay's own path fits; the same tree under a root with a longer path does not.
    const parent = await mkdtemp(join(tmpdir(), 'overlay-apply-long-'));
    dirs.push(parent);
    const rootParent = join(parent, 'p'.repeat(200), 'q'.repeat(200));
    await mkdir(rootParent, { recursive: true });
    const { root, overlay } = await fixture(rootParent);
    await writeFile(join(overlay, 'etc', 'motd'), 'hi\n');
    const levels = Math.floor((4095 - Buffer.byteLength(overlay) - 20) / 251);
    const deep = join('srv', ...Array.from({ length: levels }, (_, i) => `${i}`.padEnd(250, 'd')));
    await mkdir(join(overlay, deep), { recursive: true });
    await writeFile(join(overlay, deep, 'f'), 'x');
    const before = await snapshot(root);
    for (const apply of [applyOverlay, applyProfile]) {
      const error = await apply({ root, overlay, manifest: emptyManifest() }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_OVERLAY_PATH_TOO_LONG', hint: expect.stringContaining('shorter') });
      const path = (error as { path: string }).path;
      expect(`/${deep}/f`.startsWith(path)).toBe(true);
      expect(Buffer.byteLength(join(root, path))).toBeGreaterThan(4095);
    }
    expect(await snapshot(root)).toEqual(before);
  });

  it.each([
    ['a newline', Buffer.from('bad\nname'), 'contains a line break'],
    ['a carriage return', Buffer.from('bad\rname'), 'contains a line break'],
    ['bytes that are not UTF-8', Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]), 'is not valid UTF-8'],
  ])(
    'a name with %s is ERR_OVERLAY_UNSAFE_NAME naming the path, before anything is written',
    async (_what, name, reason) => {
      const { root, overlay } = await fixture();
      await writeFile(join(overlay, 'etc', 'a-good-file'), 'x'); // sorts first: would be written by a lazy check
      await mkdir(join(overlay, 'usr/share'), { recursive: true });
      await writeFile(Buffer.concat([Buffer.from(join(overlay, 'usr/share/')), name]), 'x');
      const before = await snapshot(root);
      for (const apply of [applyOverlay, applyProfile]) {
        const error = await apply({ root, overlay, manifest: emptyManifest() }).catch((e: unknown) => e);
        expect(error).toMatchObject({
          code: 'ERR_OVERLAY_UNSAFE_NAME',
          path: join(overlay, 'usr/share', name.toString('utf8')),
          hint: expect.stringContaining('rename'),
        });
        expect((error as Error).message).toContain(reason);
      }
      expect(await snapshot(root)).toEqual(before);
    },
  );
});
