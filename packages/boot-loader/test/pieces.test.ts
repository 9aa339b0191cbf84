// The boot pieces one by one, with real tools: a GRUB image that asks for a module that does not
// exist, ESP file lists that cannot be built, Debian's shim and signed GRUB through the SBAT check,
// a generated .sbatlevel section, and PE signatures. Moved from iso-assemble's error tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEspImage, buildGrubImage } from '@distroforge/boot-loader';
import { hasAuthenticodeSignature } from '../src/pe-signature.js';
import { checkSbatCompatibility, parseSbatLevel, sbatViolations } from '../src/sbat.js';
import { debianKernel, markerInitramfs } from './fixtures.js';

let work: string;
let base: { kernel: string; initrd: string };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'boot-loader-pieces-'));
  base = { kernel: await debianKernel(), initrd: await markerInitramfs(work) };
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('pieces', () => {
  it('builds nothing when a requested GRUB module does not exist', async () => {
    const error: unknown = await buildGrubImage({
      format: 'x86_64-efi',
      output: join(work, 'x.efi'),
      modules: ['normal', 'no_such_module'],
      embeddedConfig: '',
      moduleDir: '/usr/lib/grub/x86_64-efi',
      modulePackage: 'grub-efi-amd64-bin',
      logFile: join(work, 'grub.log'),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_GRUB_MODULE_MISSING', value: ['no_such_module'] });
  });

  it('rejects ESP files given twice or without content', async () => {
    const common = { output: join(work, 'e.img'), sourceDateEpoch: 1_700_000_000, logFile: join(work, 'e.log') };
    await expect(
      buildEspImage({
        ...common,
        files: [
          { path: '/a', content: 'x' },
          { path: '/a', content: 'y' },
        ],
      }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTIONS' });
    await expect(buildEspImage({ ...common, files: [{ path: '/a' }] })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
    });
    await expect(
      buildEspImage({ ...common, files: [{ path: '/a', source: join(work, 'missing') }] }),
    ).rejects.toMatchObject({ code: 'ERR_INPUT_MISSING' });
  });

  it("reads Debian's shim SBAT level and accepts Debian's signed GRUB", async () => {
    const check = await checkSbatCompatibility({
      objcopy: 'objcopy',
      shim: '/usr/lib/shim/shimx64.efi.signed',
      grub: '/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed',
      logFile: join(work, 'sbat.log'),
    });
    expect(check.shim.map((e) => e.component)).toContain('shim');
    expect(check.grub.find((e) => e.component === 'grub')?.generation).toBeGreaterThanOrEqual(
      check.level.previous.find((e) => e.component === 'grub')?.generation ?? Number.POSITIVE_INFINITY,
    );
    expect(check.level.previous.map((e) => e.component)).toContain('grub');
  });

  it('parses a .sbatlevel section and finds generations below it', () => {
    const previous = 'sbat,1,2024010000\nshim,4\ngrub,3\n\0';
    const latest = 'sbat,1,2025010000\nshim,4\ngrub,5\ngrub.debian,4\n\0';
    const header = Buffer.alloc(12);
    header.writeUInt32LE(8, 4);
    header.writeUInt32LE(8 + Buffer.byteLength(previous), 8);
    const level = parseSbatLevel(Buffer.concat([header, Buffer.from(previous), Buffer.from(latest)]));
    expect(level.previous).toEqual([
      { component: 'shim', generation: 4 },
      { component: 'grub', generation: 3 },
    ]);
    expect(level.latest).toHaveLength(3);
    const grub = [
      { component: 'grub', generation: 4 },
      { component: 'grub.debian', generation: 4 },
    ];
    expect(sbatViolations(level.previous, grub)).toEqual([]);
    expect(sbatViolations(level.latest, grub)).toEqual(['grub generation 4 < 5']);
  });

  it('tells signed PE images from unsigned ones', async () => {
    expect(await hasAuthenticodeSignature(base.kernel)).toBe(true);
    expect(await hasAuthenticodeSignature('/usr/lib/shim/shimx64.efi.signed')).toBe(true);
    expect(await hasAuthenticodeSignature('/usr/lib/shim/shimx64.efi')).toBe(false);
    expect(await hasAuthenticodeSignature(base.initrd)).toBe(false);
  });
});
