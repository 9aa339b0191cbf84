import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareBiosBoot } from '@distroforge/disk-assemble';

const grubDir = '/usr/lib/grub/i386-pc';
let work: string;
let core: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'disk-bios-'));
  core = join(work, 'core.img');
  await execa('grub-mkimage', [
    '-O',
    'i386-pc',
    '-d',
    grubDir,
    '-p',
    '/boot/grub',
    '-o',
    core,
    'biosdisk',
    'part_gpt',
    'fat',
  ]);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('prepareBiosBoot', () => {
  it('patches boot.img and core.img as grub-install does for a BIOS boot partition', async () => {
    const { mbrBootCode, coreImage } = await prepareBiosBoot(join(grubDir, 'boot.img'), core, 2048, 2048);
    const boot = await readFile(join(grubDir, 'boot.img'));
    const original = await readFile(core);
    expect(mbrBootCode.length).toBe(440);
    expect(mbrBootCode.readBigUInt64LE(0x5c)).toBe(2048n);
    expect(mbrBootCode[0x64]).toBe(0xff);
    expect([...mbrBootCode.subarray(0x66, 0x68)]).toEqual([0x90, 0x90]);
    // Everything else is boot.img's code, untouched.
    const unchanged = (b: Buffer) => Buffer.concat([b.subarray(0, 0x5c), b.subarray(0x68, 440)]);
    expect(unchanged(mbrBootCode).equals(unchanged(boot))).toBe(true);
    const sectors = Math.ceil(original.length / 512);
    expect(coreImage.length).toBe(sectors * 512);
    expect(coreImage.readBigUInt64LE(500)).toBe(2049n);
    expect(coreImage.readUInt16LE(508)).toBe(sectors - 1);
    expect(
      Buffer.concat([coreImage.subarray(0, 500), coreImage.subarray(508, original.length)]).equals(
        Buffer.concat([original.subarray(0, 500), original.subarray(508)]),
      ),
    ).toBe(true);
  });

  it('refuses a core image larger than its partition, and a boot.img that is no boot sector', async () => {
    await expect(prepareBiosBoot(join(grubDir, 'boot.img'), core, 2048, 8)).rejects.toMatchObject({
      code: 'ERR_GRUB_IMAGE_LAYOUT',
      path: core,
    });
    const notBoot = join(work, 'boot.img');
    await writeFile(notBoot, Buffer.alloc(512));
    await expect(prepareBiosBoot(notBoot, core, 2048, 2048)).rejects.toMatchObject({
      code: 'ERR_GRUB_IMAGE_LAYOUT',
      path: notBoot,
    });
  });
});
