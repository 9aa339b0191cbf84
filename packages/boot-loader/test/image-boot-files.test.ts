// findImageBootFiles and chooseBootFiles on fixture roots: an EL layout (shim-x64, grub2-efi-x64,
// grub2-pc-modules), Debian's layout, partial sets, symlinks that would leave the root; then the
// SBAT check on a pair taken from an image (Debian's real signed binaries in an EL layout).
import { createHash } from 'node:crypto';
import { execa } from 'execa';
import { copyFile, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BootFilesIncompleteError,
  checkSecureBootFiles,
  chooseBootFiles,
  debianBootFiles,
  defaultGrubModules,
  findImageBootFiles,
  mediumFirmware,
  requireImageBootFiles,
  uefiBootFiles,
  bootFileDigests,
  buildGrubImage,
} from '@distroforge/boot-loader';
import { debianKernel } from './fixtures.js';

let work: string;
let n = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'boot-loader-image-files-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function put(root: string, path: string, content: string | Buffer = path): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), content);
}

async function grubDir(root: string, platform: 'i386-pc' | 'x86_64-efi', skip: string[] = []): Promise<void> {
  const names =
    platform === 'i386-pc'
      ? [
          'kernel.img',
          'moddep.lst',
          'boot.img',
          'boot_hybrid.img',
          'cdboot.img',
          'diskboot.img',
          ...defaultGrubModules.bios.map((m) => `${m}.mod`),
        ]
      : ['kernel.img', 'moddep.lst', ...defaultGrubModules.efi.map((m) => `${m}.mod`)];
  for (const name of names.filter((x) => !skip.includes(x)))
    await put(root, `usr/lib/grub/${platform}/${name}`, `${platform}/${name}`);
}

async function newRoot(): Promise<string> {
  const root = join(work, `root${n++}`);
  await mkdir(root, { recursive: true });
  return root;
}

async function elRoot(): Promise<string> {
  const root = await newRoot();
  await put(root, 'boot/efi/EFI/rocky/shimx64.efi', 'rocky shim');
  await put(root, 'boot/efi/EFI/rocky/mmx64.efi', 'rocky mm');
  await put(root, 'boot/efi/EFI/rocky/grubx64.efi', 'rocky grub');
  await put(root, 'boot/efi/EFI/BOOT/BOOTX64.EFI', 'rocky shim');
  await put(root, 'boot/efi/EFI/BOOT/fbx64.efi', 'fallback');
  await grubDir(root, 'i386-pc');
  await grubDir(root, 'x86_64-efi');
  return root;
}

describe('findImageBootFiles', () => {
  it('finds an EL layout: shim-x64 and grub2-efi-x64 in /boot/efi/EFI/<vendor>, the GRUB module directories', async () => {
    const root = await elRoot();
    const found = await findImageBootFiles(root);
    expect(found.firmware).toEqual({
      bios: { status: 'complete', keys: ['grubI386PcDir'] },
      uefi: { status: 'complete', keys: ['grubX8664EfiDir'] },
      'uefi-secureboot': { status: 'complete', keys: ['shim', 'signedGrub', 'mokManager'] },
    });
    expect(found.locations).toEqual({
      grubI386PcDir: join(root, 'usr/lib/grub/i386-pc'),
      grubX8664EfiDir: join(root, 'usr/lib/grub/x86_64-efi'),
      shim: join(root, 'boot/efi/EFI/rocky/shimx64.efi'),
      signedGrub: join(root, 'boot/efi/EFI/rocky/grubx64.efi'),
      mokManager: join(root, 'boot/efi/EFI/rocky/mmx64.efi'),
      grubConfigDirs: ['/EFI/rocky'],
    });
    expect(found.origins.shim).toEqual({
      imagePath: '/boot/efi/EFI/rocky/shimx64.efi',
      layout: 'el',
      package: 'shim-x64',
    });
    expect(found.origins.signedGrub).toMatchObject({ package: 'grub2-efi-x64' });
    expect(found.origins.grubI386PcDir).toMatchObject({
      imagePath: '/usr/lib/grub/i386-pc',
      layout: 'el',
      package: 'grub2-pc-modules',
    });
    expect(requireImageBootFiles(found, 'uefi-secureboot')?.shim).toBe(join(root, 'boot/efi/EFI/rocky/shimx64.efi'));
  });

  it('takes shim from /boot/efi/EFI/BOOT/BOOTX64.EFI when the vendor directory has none', async () => {
    const root = await elRoot();
    await rm(join(root, 'boot/efi/EFI/rocky/shimx64.efi'));
    const found = await findImageBootFiles(root);
    expect(found.firmware['uefi-secureboot'].status).toBe('complete');
    expect(found.origins.shim).toEqual({
      imagePath: '/boot/efi/EFI/BOOT/BOOTX64.EFI',
      layout: 'el',
      package: 'shim-x64',
    });
  });

  it("finds Debian's layout under the root (shim-signed, grub-efi-amd64-signed, grub-pc-bin)", async () => {
    const root = await newRoot();
    await mkdir(join(root, 'var/lib/dpkg'), { recursive: true });
    for (const key of ['shim', 'mokManager', 'signedGrub'] as const) await put(root, debianBootFiles[key]);
    await grubDir(root, 'i386-pc');
    const found = await findImageBootFiles(root);
    expect(found.firmware.bios.status).toBe('complete');
    expect(found.firmware.uefi.status).toBe('absent');
    expect(found.firmware['uefi-secureboot'].status).toBe('complete');
    expect(found.origins).toMatchObject({
      shim: { imagePath: '/usr/lib/shim/shimx64.efi.signed', layout: 'debian', package: 'shim-signed' },
      signedGrub: { imagePath: '/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed', package: 'grub-efi-amd64-signed' },
      grubI386PcDir: { layout: 'debian', package: 'grub-pc-bin' },
    });
    expect(found.locations.grubConfigDirs).toBeUndefined();
  });

  it("names Arch's grub package for the module directories of a pacman root", async () => {
    const root = await newRoot();
    await mkdir(join(root, 'var/lib/pacman/local'), { recursive: true });
    await grubDir(root, 'x86_64-efi');
    const found = await findImageBootFiles(root);
    expect(found.firmware.uefi.status).toBe('complete');
    expect(found.origins.grubX8664EfiDir).toEqual({
      imagePath: '/usr/lib/grub/x86_64-efi',
      layout: 'arch',
      package: 'grub',
    });
  });

  it('reports nothing for a root without boot files', async () => {
    const found = await findImageBootFiles(await newRoot());
    expect(Object.values(found.firmware).map((f) => f.status)).toEqual(['absent', 'absent', 'absent']);
    expect(found.locations).toEqual({});
  });

  it('calls a signed shim without a GRUB it can load a partial set, naming the package', async () => {
    const root = await newRoot();
    await put(root, 'boot/efi/EFI/rocky/shimx64.efi');
    await put(root, 'boot/efi/EFI/rocky/mmx64.efi');
    const found = await findImageBootFiles(root);
    const state = found.firmware['uefi-secureboot'];
    expect(state.status).toBe('partial');
    const error = (() => {
      try {
        return requireImageBootFiles(found, 'uefi-secureboot');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(BootFilesIncompleteError);
    expect(error).toMatchObject({
      code: 'ERR_BOOT_FILES_INCOMPLETE',
      path: root,
      value: ['signedGrub'],
      firmware: 'uefi-secureboot',
    });
    expect((error as Error).message).toContain(
      'signed GRUB EFI image (grub2-efi-x64: /boot/efi/EFI/rocky/grubx64.efi (missing))',
    );
    expect((error as BootFilesIncompleteError).hint).toBe(
      "add grub2-efi-x64 to the image, or remove its partial uefi-secureboot boot files so the host's are used",
    );
    // Without MokManager wanted, a shim and no GRUB is still partial; MokManager alone missing is not.
    await rm(join(root, 'boot/efi/EFI/rocky/mmx64.efi'));
    await put(root, 'boot/efi/EFI/rocky/grubx64.efi');
    expect((await findImageBootFiles(root, { mokManager: false })).firmware['uefi-secureboot'].status).toBe('complete');
    expect((await findImageBootFiles(root)).firmware['uefi-secureboot']).toMatchObject({
      status: 'partial',
      error: { value: ['mokManager'] },
    });
  });

  it('calls a GRUB directory without the modules we build in partial, listing them', async () => {
    const root = await newRoot();
    await grubDir(root, 'i386-pc', ['search_label.mod', 'boot_hybrid.img']);
    const found = await findImageBootFiles(root);
    expect(found.firmware.bios.status).toBe('partial');
    expect(found.firmware.bios.status === 'partial' && found.firmware.bios.error.message).toContain(
      'lacks boot_hybrid.img, search_label.mod',
    );
    expect(found.locations.grubI386PcDir).toBeUndefined();
  });

  it("leaves GRUB modules of another release than grub-mkimage's to the host (modinfo.sh's grub_version)", async () => {
    const root = await newRoot();
    await grubDir(root, 'i386-pc');
    await put(
      root,
      'usr/lib/grub/i386-pc/modinfo.sh',
      'grub_target_cpu=i386\ngrub_version="2.12"\ngrub_package="grub"\n',
    );
    const found = await findImageBootFiles(root, { grubMkimageVersion: '2.06' });
    expect(found.firmware.bios).toMatchObject({
      status: 'partial',
      error: { code: 'ERR_BOOT_FILES_INCOMPLETE', value: ['grubI386PcDir'] },
    });
    expect(found.firmware.bios.status === 'partial' && found.firmware.bios.error.message).toContain(
      '/usr/lib/grub/i386-pc (GRUB 2.12 modules, but grub-mkimage is 2.06)',
    );
    expect((await findImageBootFiles(root, { grubMkimageVersion: '2.12.1' })).firmware.bios.status).toBe('complete');
    expect((await findImageBootFiles(root, { grubMkimageVersion: false })).firmware.bios.status).toBe('complete');
    // The host's grub-mkimage by default (2.06 on Debian 12); its own modules' release matches it.
    await rm(join(root, 'usr/lib/grub/i386-pc/modinfo.sh'));
    await copyFile('/usr/lib/grub/i386-pc/modinfo.sh', join(root, 'usr/lib/grub/i386-pc/modinfo.sh'));
    expect((await findImageBootFiles(root)).firmware.bios.status).toBe('complete');
  });

  it('never follows a symlink out of the root', async () => {
    const root = await elRoot();
    // A relative link climbing above the root, an absolute one to a file the host has (Debian's
    // signed GRUB on this host) but the image does not, a GRUB module linked to the host's.
    await rm(join(root, 'boot/efi/EFI/rocky/grubx64.efi'));
    await symlink(
      '../../../../../../../../../../usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed',
      join(root, 'boot/efi/EFI/rocky/grubx64.efi'),
    );
    await rm(join(root, 'boot/efi/EFI/rocky/mmx64.efi'));
    await symlink('/usr/lib/shim/mmx64.efi.signed', join(root, 'boot/efi/EFI/rocky/mmx64.efi'));
    await rm(join(root, 'usr/lib/grub/x86_64-efi/linux.mod'));
    await symlink('/usr/lib/grub/x86_64-efi/linux.mod', join(root, 'usr/lib/grub/x86_64-efi/linux.mod'));
    const found = await findImageBootFiles(root);
    expect(found.locations.signedGrub).toBeUndefined();
    expect(found.locations.mokManager).toBeUndefined();
    expect(found.locations.grubX8664EfiDir).toBeUndefined();
    const secureBoot = found.firmware['uefi-secureboot'];
    expect(secureBoot).toMatchObject({
      status: 'partial',
      error: { code: 'ERR_BOOT_FILES_INCOMPLETE', value: ['signedGrub', 'mokManager'] },
    });
    expect(secureBoot.status === 'partial' && secureBoot.error.message).toMatch(
      /grubx64\.efi \(.*(above|outside|escape)/i,
    );
    expect(found.firmware.uefi).toMatchObject({ status: 'partial' });
    expect(found.firmware.uefi.status === 'partial' && found.firmware.uefi.error.message).toContain('lacks linux.mod');
    // A link that stays inside the root is followed (absolute targets restart at the root).
    await rm(join(root, 'boot/efi/EFI/rocky/grubx64.efi'));
    await put(root, 'usr/share/grub-signed/grubx64.efi', 'inside');
    await symlink('/usr/share/grub-signed/grubx64.efi', join(root, 'boot/efi/EFI/rocky/grubx64.efi'));
    const again = await findImageBootFiles(root, { mokManager: false });
    expect(again.locations.signedGrub).toBe(join(root, 'usr/share/grub-signed/grubx64.efi'));
    expect(again.origins.signedGrub?.imagePath).toBe('/boot/efi/EFI/rocky/grubx64.efi');
  });
});

describe('chooseBootFiles', () => {
  it("uses the image's set per firmware where complete, the host's otherwise with the reason", async () => {
    const root = await newRoot();
    await put(root, 'boot/efi/EFI/rocky/shimx64.efi');
    await put(root, 'boot/efi/EFI/rocky/mmx64.efi');
    await put(root, 'boot/efi/EFI/rocky/grubx64.efi');
    await grubDir(root, 'x86_64-efi', ['kernel.img']);
    const image = await findImageBootFiles(root);
    const choice = chooseBootFiles({ image, firmware: mediumFirmware({ bios: true, uefi: true, secureBoot: true }) });
    expect(choice.uses.map(({ firmware, set, reasonCode }) => ({ firmware, set, reasonCode }))).toEqual([
      { firmware: 'bios', set: 'host', reasonCode: 'absent' },
      { firmware: 'uefi-secureboot', set: 'image', reasonCode: undefined },
    ]);
    expect(choice.uses[0]?.reason).toBe('the image has no bios boot files');
    expect(choice.locations).toEqual({
      ...debianBootFiles,
      shim: join(root, 'boot/efi/EFI/rocky/shimx64.efi'),
      signedGrub: join(root, 'boot/efi/EFI/rocky/grubx64.efi'),
      mokManager: join(root, 'boot/efi/EFI/rocky/mmx64.efi'),
      grubConfigDirs: ['/EFI/rocky'],
    });
    expect(choice.uses[1]?.files).toContainEqual({
      key: 'shim',
      path: join(root, 'boot/efi/EFI/rocky/shimx64.efi'),
      imagePath: '/boot/efi/EFI/rocky/shimx64.efi',
      package: 'shim-x64',
    });
    // UEFI without Secure Boot: the image's module directory lacks kernel.img.
    const plain = chooseBootFiles({ image, firmware: mediumFirmware({ bios: false, uefi: true, secureBoot: false }) });
    expect(plain.uses).toEqual([
      {
        firmware: 'uefi',
        set: 'host',
        reasonCode: 'ERR_BOOT_FILES_INCOMPLETE',
        reason: expect.stringContaining('lacks kernel.img'),
        files: [{ key: 'grubX8664EfiDir', path: debianBootFiles.grubX8664EfiDir }],
      },
    ]);
    expect(plain.locations).toEqual(debianBootFiles);
    expect(chooseBootFiles({ image: undefined, firmware: ['bios'] }).uses[0]).toMatchObject({
      set: 'host',
      reasonCode: 'not-looked-for',
    });
  });

  it('digests each chosen file (a GRUB directory by its files), so a changed shim changes the key', async () => {
    const root = await elRoot();
    const found = await findImageBootFiles(root);
    const before = await bootFileDigests(found.locations, ['shim', 'grubI386PcDir']);
    await writeFile(join(root, 'boot/efi/EFI/rocky/shimx64.efi'), 'a newer shim');
    await writeFile(join(root, 'usr/lib/grub/i386-pc/linux.mod'), 'a newer module');
    const after = await bootFileDigests(found.locations, ['shim', 'grubI386PcDir']);
    expect(Object.keys(before)).toEqual(['shim', 'grubI386PcDir']);
    expect(after.shim).not.toBe(before.shim);
    expect(after.grubI386PcDir).not.toBe(before.grubI386PcDir);
    // sha256sum is the oracle: a file by its bytes, a directory by its sorted `name sha256` lines.
    const sums = async (paths: string[]) =>
      (await execa('sha256sum', paths)).stdout.split('\n').map((line) => line.split(' ')[0] as string);
    expect(after.shim).toBe((await sums([found.locations.shim as string]))[0]);
    const dir = found.locations.grubI386PcDir as string;
    const names = (await readdir(dir)).sort();
    const lines = (await sums(names.map((name) => join(dir, name)))).map((sum, i) => `${names[i]} ${sum}\n`);
    expect(after.grubI386PcDir).toBe(createHash('sha256').update(lines.join('')).digest('hex'));
  });

  it('puts the stub grub.cfg where an EL GRUB looks too (its prefix /EFI/<vendor>)', async () => {
    const root = await elRoot();
    const { locations } = chooseBootFiles({ image: await findImageBootFiles(root), firmware: ['uefi-secureboot'] });
    const files = await uefiBootFiles({
      secureBoot: true,
      findBootFiles: 'search --label X\n',
      mokManager: true,
      locations,
      workDir: work,
      logFile: join(work, 'uefi.log'),
    });
    expect(files.map((f) => f.path)).toEqual([
      '/EFI/BOOT/BOOTX64.EFI',
      '/EFI/BOOT/grubx64.efi',
      '/EFI/BOOT/mmx64.efi',
      '/EFI/BOOT/grub.cfg',
      '/boot/grub/grub.cfg',
      '/EFI/rocky/grub.cfg',
    ]);
    expect(files[0]).toEqual({ path: '/EFI/BOOT/BOOTX64.EFI', source: join(root, 'boot/efi/EFI/rocky/shimx64.efi') });
  });

  it("runs the SBAT check on the image's shim/GRUB pair (Debian's signed binaries in an EL layout)", async () => {
    const kernel = await debianKernel();
    const root = await newRoot();
    await mkdir(join(root, 'boot/efi/EFI/vendor'), { recursive: true });
    await copyFile(debianBootFiles.shim, join(root, 'boot/efi/EFI/vendor/shimx64.efi'));
    await copyFile(debianBootFiles.signedGrub, join(root, 'boot/efi/EFI/vendor/grubx64.efi'));
    await copyFile(debianBootFiles.mokManager, join(root, 'boot/efi/EFI/vendor/mmx64.efi'));
    const { locations } = chooseBootFiles({ image: await findImageBootFiles(root), firmware: ['uefi-secureboot'] });
    const check = await checkSecureBootFiles({ kernel, locations, mokManager: true, logFile: join(work, 'sbat.log') });
    expect(check.grub.map((e) => e.component)).toContain('grub');
    // A GRUB without an SBAT section in the image (ours, from grub-mkimage) is refused, naming the image's file.
    await rm(join(root, 'boot/efi/EFI/vendor/grubx64.efi'));
    await buildGrubImage({
      format: 'x86_64-efi',
      output: join(root, 'boot/efi/EFI/vendor/grubx64.efi'),
      embeddedConfig: '',
      moduleDir: debianBootFiles.grubX8664EfiDir,
      modulePackage: 'grub-efi-amd64-bin',
      logFile: join(work, 'sbat.log'),
    });
    const error = await checkSecureBootFiles({
      kernel,
      locations,
      mokManager: true,
      logFile: join(work, 'sbat.log'),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_SBAT_MISMATCH', path: join(root, 'boot/efi/EFI/vendor/grubx64.efi') });
  }, 300_000);
});
