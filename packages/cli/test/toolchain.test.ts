// Stage keys hold the versions of the code and host tools that make each stage's output.
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { stageToolchain } from '../src/engine/toolchain.js';

const packages = join(import.meta.dirname, '..', '..');

async function installedVersion(deb: string): Promise<string> {
  return (await execa('dpkg-query', ['-W', '-f=${Version}', deb])).stdout;
}

it('the image stage depends on squashfs-wrap and on the installed squashfs-tools, as dpkg reports them', async () => {
  const toolchain = await stageToolchain('image');
  const own = JSON.parse(await readFile(join(packages, 'squashfs-wrap', 'package.json'), 'utf8')) as {
    version: string;
  };
  expect(toolchain['@distroforge/squashfs-wrap']).toBe(own.version);
  expect(toolchain['deb:squashfs-tools']).toBe(await installedVersion('squashfs-tools'));
  expect(toolchain['@distroforge/cli']).toMatch(/^\d+\.\d+\.\d+/);
});

it('the ISO stage depends on the boot files (shim, signed GRUB) and xorriso; the rootfs stage on none of them', async () => {
  const iso = await stageToolchain('iso');
  expect(iso['deb:shim-signed']).toBe(await installedVersion('shim-signed'));
  expect(iso['deb:xorriso']).toBe(await installedVersion('xorriso'));
  const rootfs = await stageToolchain('rootfs');
  expect(Object.keys(rootfs).filter((k) => /xorriso|shim|grub|squashfs/.test(k))).toEqual([]);
  // A package the host does not have is recorded as such, not skipped (installing it changes the key).
  expect(Object.values(await stageToolchain('disk')).every((v) => v.length > 0)).toBe(true);
});

it("the stages that read or write an rpmdb with the host's rpm depend on its version: the rootfs (python3-rpm) and the inventory (rpm)", async () => {
  const rootfs = await stageToolchain('rootfs');
  expect(rootfs['deb:python3-rpm']).toBe(await installedVersion('python3-rpm'));
  expect(rootfs['deb:rpm']).toBe(await installedVersion('rpm'));
  const inventory = await stageToolchain('inventory');
  expect(inventory['deb:rpm']).toBe(await installedVersion('rpm'));
  expect(inventory['@distroforge/cli']).toMatch(/^\d+\.\d+\.\d+/);
});
