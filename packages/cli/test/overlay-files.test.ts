import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { overlayFiles } from '../src/pipeline/overlay-files.js';

describe("overlayFiles (a busybox profile's airootfs)", () => {
  it('lists regular files, directories first and names in byte order, with their modes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-overlay-'));
    await mkdir(join(dir, 'etc/b'), { recursive: true });
    await writeFile(join(dir, 'etc/motd'), 'hi', { mode: 0o640 });
    await writeFile(join(dir, 'etc/b/x'), '');
    await writeFile(join(dir, 'Z'), '');
    expect((await overlayFiles(dir)).map((f) => [f.path, f.mode.toString(8)])).toEqual([
      ['/Z', '644'],
      ['/etc/b/x', '644'],
      ['/etc/motd', '640'],
    ]);
  });

  it('refuses a symlinked overlay, a link inside it and a name with a line break, naming the path', async () => {
    const host = await mkdtemp(join(tmpdir(), 'df-host-'));
    const dir = await mkdtemp(join(tmpdir(), 'df-overlay-'));
    await symlink(host, join(dir, 'airootfs'));
    await expect(overlayFiles(join(dir, 'airootfs'))).rejects.toMatchObject({ code: 'ERR_OVERLAY_SOURCE_SYMLINK' });
    const linked = await mkdtemp(join(tmpdir(), 'df-overlay-'));
    await symlink('/etc/shadow', join(linked, 'shadow'));
    await expect(overlayFiles(linked)).rejects.toMatchObject({
      code: 'ERR_OVERLAY_UNSUPPORTED',
      path: join(linked, 'shadow'),
    });
    const broken = await mkdtemp(join(tmpdir(), 'df-overlay-'));
    await writeFile(join(broken, 'two\nlines'), '');
    await expect(overlayFiles(broken)).rejects.toMatchObject({ code: 'ERR_OVERLAY_UNSAFE_NAME' });
  });
});
