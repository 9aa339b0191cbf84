// checkSecureBootFiles, the check iso-assemble and disk-assemble run before building a Secure Boot
// medium, on Debian's real shim, signed GRUB and signed kernel.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSecureBootFiles, debianBootFiles } from '@distroforge/boot-loader';
import { debianKernel } from './fixtures.js';

let work: string;
let kernel: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'boot-loader-secure-boot-'));
  kernel = await debianKernel();
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('checkSecureBootFiles', () => {
  it("accepts Debian's signed kernel, shim and GRUB and returns the SBAT records it compared", async () => {
    const check = await checkSecureBootFiles({
      kernel,
      locations: debianBootFiles,
      mokManager: true,
      logFile: join(work, 'ok.log'),
    });
    expect(check.grub.map((e) => e.component)).toContain('grub');
    expect(check.level.previous.map((e) => e.component)).toContain('grub');
  });

  it('names the package of a missing MokManager only when it is wanted', async () => {
    const locations = { ...debianBootFiles, mokManager: join(work, 'no/mmx64.efi.signed') };
    const error = await checkSecureBootFiles({
      kernel,
      locations,
      mokManager: true,
      logFile: join(work, 'mok.log'),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ERR_BOOT_FILE_MISSING',
      value: 'shim-signed',
      hint: 'install it with: apt-get install shim-signed',
    });
    await expect(
      checkSecureBootFiles({ kernel, locations, mokManager: false, logFile: join(work, 'mok.log') }),
    ).resolves.toMatchObject({ warnings: expect.any(Array) });
  });

  it('refuses an unsigned kernel, naming it', async () => {
    const error = await checkSecureBootFiles({
      kernel: '/usr/lib/shim/shimx64.efi',
      locations: debianBootFiles,
      mokManager: true,
      logFile: join(work, 'k.log'),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_KERNEL_UNSIGNED', path: '/usr/lib/shim/shimx64.efi' });
  });
});
