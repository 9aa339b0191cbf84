// Error paths: each failure is a typed error with a stable code, the offending path/value and a
// hint, and leaves no ISO behind. Real tools throughout; a fake xorriso on PATH only for the
// tool-failure case.
import { clearToolCache } from '@distroforge/core';
import { execa } from 'execa';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assembleIso, type AssembleIsoOptions } from '@distroforge/iso-assemble';
import { debianKernel, markerInitramfs } from './fixtures.js';

let work: string;
let base: AssembleIsoOptions;
let count = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'iso-assemble-errors-'));
  base = {
    output: '',
    label: 'DFERR',
    kernel: await debianKernel(),
    initrd: await markerInitramfs(work),
    sourceDateEpoch: 1_700_000_000,
  };
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs assembleIso in a fresh directory; returns the error and what the directory holds afterwards. */
async function failure(options: Partial<AssembleIsoOptions>) {
  const dir = join(work, `case-${count++}`);
  await mkdir(dir);
  const error = await assembleIso({ ...base, output: join(dir, 'out.iso'), ...options }).then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as { code: string; hint?: string; path?: string; value?: unknown; message: string },
  );
  const left = (await readdir(dir)).filter((name) => name !== 'out.iso.log');
  return { error, left };
}

describe('assembleIso failures', () => {
  it('names a missing input file', async () => {
    const { error, left } = await failure({ initrd: join(work, 'nope.img') });
    expect(error.code).toBe('ERR_INPUT_MISSING');
    expect(error.path).toBe(join(work, 'nope.img'));
    expect(left).toEqual([]);
  });

  it('names the Debian package of a missing shim, with the install command', async () => {
    const { error, left } = await failure({
      secureBoot: true,
      bootFiles: { shim: join(work, 'no/shimx64.efi.signed') },
    });
    expect(error.code).toBe('ERR_BOOT_FILE_MISSING');
    expect(error.value).toBe('shim-signed');
    expect(error.hint).toBe('install it with: apt-get install shim-signed');
    expect(left).toEqual([]);
  });

  it('names the Debian package of missing signed GRUB', async () => {
    const { error } = await failure({
      secureBoot: true,
      bootFiles: { signedGrub: join(work, 'no/gcdx64.efi.signed') },
    });
    expect(error.code).toBe('ERR_BOOT_FILE_MISSING');
    expect(error.hint).toBe('install it with: apt-get install grub-efi-amd64-signed');
  });

  it('lists missing GRUB modules and the package that ships them', async () => {
    const dir = join(work, 'i386-pc-partial');
    await mkdir(dir);
    await copyFile('/usr/lib/grub/i386-pc/boot_hybrid.img', join(dir, 'boot_hybrid.img'));
    for (const name of ['normal', 'linux', 'iso9660'])
      await copyFile(`/usr/lib/grub/i386-pc/${name}.mod`, join(dir, `${name}.mod`));
    const { error, left } = await failure({ bootFiles: { grubI386PcDir: dir } });
    expect(error.code).toBe('ERR_GRUB_MODULE_MISSING');
    expect(error.hint).toContain('apt-get install grub-pc-bin');
    expect(error.value).toContain('biosdisk');
    expect(error.value).not.toContain('normal');
    expect(left).toEqual([]);
  });

  it("names grub-pc-bin when GRUB's hybrid MBR is missing", async () => {
    const dir = join(work, 'i386-pc-empty');
    await mkdir(dir);
    const { error } = await failure({ bootFiles: { grubI386PcDir: dir } });
    expect(error.code).toBe('ERR_BOOT_FILE_MISSING');
    expect(error.path).toBe(join(dir, 'boot_hybrid.img'));
    expect(error.hint).toBe('install it with: apt-get install grub-pc-bin');
  });

  it('refuses a missing GRUB EFI platform directory', async () => {
    const { error } = await failure({ bootFiles: { grubX8664EfiDir: join(work, 'no-efi') } });
    expect(error.code).toBe('ERR_BOOT_FILE_MISSING');
    expect(error.hint).toBe('install it with: apt-get install grub-efi-amd64-bin');
  });

  it('refuses an unsigned kernel for Secure Boot', async () => {
    const { error, left } = await failure({ secureBoot: true, kernel: '/usr/lib/shim/shimx64.efi' });
    expect(error.code).toBe('ERR_KERNEL_UNSIGNED');
    expect(left).toEqual([]);
  });

  it('refuses a signed GRUB whose SBAT generation shim has revoked', async () => {
    const csv = join(work, 'old.sbat');
    await writeFile(
      csv,
      'sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\ngrub,4,Free Software Foundation,grub,2.06,https://www.gnu.org/software/grub/\n',
    );
    const oldGrub = join(work, 'old-grub.efi');
    await execa('objcopy', [
      `--update-section=.sbat=${csv}`,
      '/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed',
      oldGrub,
    ]);
    const { error, left } = await failure({ secureBoot: true, bootFiles: { signedGrub: oldGrub } });
    expect(error.code).toBe('ERR_SBAT_MISMATCH');
    expect(error.message).toContain('grub generation 4 < 5');
    expect(error.hint).toContain('shim-signed grub-efi-amd64-signed');
    expect(left).toEqual([]);
  });

  it('refuses an ESP size too small for its content, naming the size needed', async () => {
    const { error } = await failure({ secureBoot: true, espSize: 1024 * 1024 });
    expect(error.code).toBe('ERR_ESP_TOO_SMALL');
    expect(error.message).toMatch(/needs at least \d+ bytes/);
  });

  describe('with a fake xorriso on PATH', () => {
    const savedPath = process.env.PATH;
    afterEach(() => {
      process.env.PATH = savedPath;
      clearToolCache();
    });

    it('reports a failing tool with its command, exit code and log, and leaves no partial ISO', async () => {
      const bin = join(work, 'fake-bin');
      await mkdir(bin, { recursive: true });
      await writeFile(
        join(bin, 'xorriso'),
        '#!/bin/sh\n[ "$1" = -version ] && { echo "xorriso 1.5.4"; exit 0; }\necho "libburn: FAILURE : simulated write error" >&2\nexit 5\n',
      );
      await chmod(join(bin, 'xorriso'), 0o755);
      process.env.PATH = `${bin}:${savedPath}`;
      clearToolCache();
      const { error, left } = await failure({});
      expect(error.code).toBe('ERR_TOOL_FAILED');
      expect(error.message).toContain('simulated write error');
      expect(error.hint).toMatch(/full log: .*out\.iso\.log$/);
      expect(left).toEqual([]);
    });

    it('names the install command of a missing tool', async () => {
      process.env.PATH = join(work, 'empty-bin');
      clearToolCache();
      const { error } = await failure({});
      expect(error.code).toBe('ERR_TOOL_MISSING');
      expect(error.hint).toBe('install it with: apt-get install xorriso');
    });
  });
});
