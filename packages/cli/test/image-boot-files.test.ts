// The image's own boot chain: an RPM root (the generated repository's, Debian's signed kernel) that
// carries shim, signed GRUB and MokManager in an EL layout (/boot/efi/EFI/<vendor>/) gets them on
// the ISO's ESP, and the build report says `image`; a root with only part of the set (a shim without
// a GRUB it can load) gets the host's, and the report says `host` with the reason. Built by the real
// command (`distroforge build --json`), with an ISO and a raw disk.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { copyFile, cp, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { inspectIso } from '@distroforge/iso-assemble';
import { inspectDisk } from '@distroforge/disk-assemble';
import { generateRpmTestRepo } from '../../../tools/rpm-test-repo/generate.mjs';
import type { BuildReport } from '../src/pipeline/build-profile.js';
import { jsonLines, runDistroforge } from './run-distroforge.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
// Debian's signed binaries stand in for a vendor's: grubx64.efi.signed (not the gcdx64 the host set
// uses), so the ESP shows which set was taken.
const vendorFiles = {
  'shimx64.efi': '/usr/lib/shim/shimx64.efi.signed',
  'grubx64.efi': '/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed',
  'mmx64.efi': '/usr/lib/shim/mmx64.efi.signed',
};
const mtoolsEnv = { MTOOLS_SKIP_CHECK: '1' };
let work = '';
let rpms = '';

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

/** A copy of test/fixtures/rpm-live-disk as an ISO profile with Secure Boot, its airootfs holding `files` under /boot/efi/EFI/testos. */
async function profileWith(name: string, files: Partial<typeof vendorFiles>): Promise<string> {
  const dir = join(work, name);
  await cp(join(import.meta.dirname, 'fixtures', 'rpm-live-disk'), dir, { recursive: true });
  const doc = parse(await readFile(join(dir, 'profile.yaml'), 'utf8')) as Record<string, unknown>;
  // The ISO and a raw disk whose root is the squashfs image (mtools reads both ESPs in place).
  Object.assign(doc, {
    name,
    hostname: name,
    source: { type: 'rpm-dir', location: rpms },
    outputs: ['iso', 'disk'],
    firmware: ['bios', 'uefi-secureboot'],
  });
  Object.assign(doc.disk as object, { format: 'raw' });
  delete doc.image;
  await writeFile(join(dir, 'profile.yaml'), stringify(doc));
  const vendor = join(dir, 'airootfs', 'boot', 'efi', 'EFI', 'testos');
  await mkdir(vendor, { recursive: true });
  for (const [file, from] of Object.entries(files)) await copyFile(from, join(vendor, file));
  return dir;
}

async function build(profile: string): Promise<BuildReport> {
  const run = await runDistroforge(['build', profile, '--json']);
  expect(run.exitCode, run.stderr).toBe(0);
  const result = jsonLines(run.stdout).find((l) => l.type === 'result') as unknown as BuildReport;
  expect(JSON.parse(await readFile(join(profile, 'out', 'build-report.json'), 'utf8')).bootFiles).toEqual(
    result.bootFiles,
  );
  return result;
}

/** The ISO's or the disk's ESP (its GPT partition) as a FAT image file, for mtools. */
async function extractEsp(image: string, output: string): Promise<string> {
  let start: number;
  let size: number;
  if (image.endsWith('.iso')) {
    const esp = (await inspectIso(image)).systemArea.gpt?.partitions.find(
      (p) => p.typeGuid === '28732ac11ff8d211ba4b00a0c93ec93b',
    );
    if (!esp) throw new Error(`no ESP in ${image}`);
    [start, size] = [esp.start * 512, esp.size * 512];
  } else {
    const esp = (await inspectDisk(image)).partitions.find((p) => p.name === 'ESP');
    if (!esp) throw new Error(`no ESP in ${image}`);
    [start, size] = [esp.start, esp.size];
  }
  const handle = await open(image, 'r');
  const bytes = Buffer.alloc(size);
  await handle.read(bytes, 0, bytes.length, start);
  await handle.close();
  await writeFile(output, bytes);
  return output;
}

async function espFile(esp: string, path: string): Promise<Buffer> {
  const { stdout } = await execa('mtype', ['-i', esp, `::${path}`], {
    encoding: 'buffer',
    stripFinalNewline: false,
    env: mtoolsEnv,
  });
  return Buffer.from(stdout);
}

beforeAll(async () => {
  rpms = (await generateRpmTestRepo(join(repoRoot, '.cache', 'rpm-test-repo', 'repo'))).dir;
  work = await mkdtemp(join(tmpdir(), 'df-image-boot-'));
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the image's own boot files", () => {
  it("puts the image's shim, GRUB and MokManager on the ISO's ESP and reports `image` (the host's for BIOS, reported `host`)", async () => {
    const profile = await profileWith('own-chain', vendorFiles);
    const report = await build(profile);
    const iso = report.outputs.find((o) => o.kind === 'iso')!.file;
    const esp = await extractEsp(iso, join(work, 'own-chain-esp.img'));
    const { stdout } = await execa('mdir', ['-/', '-b', '-i', esp, '::'], { env: mtoolsEnv });
    expect(
      stdout
        .split('\n')
        .filter((l) => !l.endsWith('/'))
        .sort(),
    ).toEqual(
      [
        '::/EFI/BOOT/BOOTX64.EFI',
        '::/EFI/BOOT/grub.cfg',
        '::/EFI/BOOT/grubx64.efi',
        '::/EFI/BOOT/mmx64.efi',
        '::/EFI/testos/grub.cfg',
        '::/boot/grub/grub.cfg',
      ].sort(),
    );
    expect((await espFile(esp, '/EFI/BOOT/BOOTX64.EFI')).equals(await readFile(vendorFiles['shimx64.efi']))).toBe(true);
    expect((await espFile(esp, '/EFI/BOOT/grubx64.efi')).equals(await readFile(vendorFiles['grubx64.efi']))).toBe(true);
    expect(
      (await espFile(esp, '/EFI/BOOT/grubx64.efi')).equals(
        await readFile('/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed'),
      ),
    ).toBe(false);
    expect((await espFile(esp, '/EFI/testos/grub.cfg')).toString()).toContain('configfile $prefix/grub.cfg');
    const perMedium = async (output: 'iso' | 'disk') => [
      {
        output,
        firmware: 'bios',
        set: 'host',
        reason: 'the image has no bios boot files',
        reasonCode: 'absent',
        files: [
          { key: 'grubI386PcDir', path: '/usr/lib/grub/i386-pc', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
        ],
      },
      {
        output,
        firmware: 'uefi-secureboot',
        set: 'image',
        files: [
          {
            key: 'shim',
            path: '/boot/efi/EFI/testos/shimx64.efi',
            package: 'shim-x64',
            sha256: await sha256(vendorFiles['shimx64.efi']),
          },
          {
            key: 'signedGrub',
            path: '/boot/efi/EFI/testos/grubx64.efi',
            package: 'grub2-efi-x64',
            sha256: await sha256(vendorFiles['grubx64.efi']),
          },
          {
            key: 'mokManager',
            path: '/boot/efi/EFI/testos/mmx64.efi',
            package: 'shim-x64',
            sha256: await sha256(vendorFiles['mmx64.efi']),
          },
        ],
      },
    ];
    expect(report.bootFiles).toEqual([...(await perMedium('iso')), ...(await perMedium('disk'))]);
    // The disk's ESP too.
    const diskEsp = await extractEsp(
      report.outputs.find((o) => o.kind === 'disk')!.file,
      join(work, 'own-chain-disk-esp.img'),
    );
    expect((await espFile(diskEsp, '/EFI/BOOT/grubx64.efi')).equals(await readFile(vendorFiles['grubx64.efi']))).toBe(
      true,
    );
    expect((await espFile(diskEsp, '/EFI/testos/grub.cfg')).toString()).toContain('configfile $prefix/grub.cfg');
    // The ISO stage's key holds the chosen files' digests: a changed shim in the image is a new ISO.
    const isoStage = report.stages.find((s) => s.name === 'iso')!;
    const inputs = await readFile(join(profile, '.distroforge', 'stages', 'iso', isoStage.key, '.inputs.json'), 'utf8');
    expect(inputs).toContain(await sha256(vendorFiles['shimx64.efi']));
  }, 900_000);

  it("uses the host's shim and GRUB for a partial set (a shim without GRUB) and reports `host` with the reason", async () => {
    const profile = await profileWith('partial-chain', {
      'shimx64.efi': vendorFiles['shimx64.efi'],
      'mmx64.efi': vendorFiles['mmx64.efi'],
    });
    const report = await build(profile);
    expect(report.bootFiles?.map((b) => `${b.output}/${b.firmware}: ${b.set}`)).toEqual([
      'iso/bios: host',
      'iso/uefi-secureboot: host',
      'disk/bios: host',
      'disk/uefi-secureboot: host',
    ]);
    const secureBoot = report.bootFiles?.find((b) => b.firmware === 'uefi-secureboot');
    expect(secureBoot).toMatchObject({ output: 'iso', set: 'host', reasonCode: 'ERR_BOOT_FILES_INCOMPLETE' });
    expect(secureBoot?.reason).toContain(
      'no usable signed GRUB EFI image (grub2-efi-x64: /boot/efi/EFI/testos/grubx64.efi (missing))',
    );
    expect(secureBoot?.files.map((f) => f.path)).toEqual([
      '/usr/lib/shim/shimx64.efi.signed',
      '/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed',
      '/usr/lib/shim/mmx64.efi.signed',
    ]);
    const iso = report.outputs.find((o) => o.kind === 'iso')!.file;
    const esp = await extractEsp(iso, join(work, 'partial-chain-esp.img'));
    expect(
      (await espFile(esp, '/EFI/BOOT/grubx64.efi')).equals(
        await readFile('/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed'),
      ),
    ).toBe(true);
  }, 900_000);
});
