import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cleanProfile, exitCodes, initProfile, loadProfile, main } from '@distroforge/cli';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('init', () => {
  it.each(['minimal', 'debian-live'] as const)('scaffolds a %s profile that loads', async (template) => {
    const dir = join(await mkdtemp(join(tmpdir(), 'df-init-')), 'My_Spin');
    const files = await initProfile(dir, template);
    expect(files).toContain('profile.yaml');
    const loaded = await loadProfile(dir);
    expect(loaded.profile.name).toBe('my-spin');
    expect(loaded.overlayDir).toBe(join(dir, 'airootfs'));
    await expect(initProfile(dir, template)).rejects.toMatchObject({ code: 'ERR_USAGE' });
  });
});

describe('clean', () => {
  it('removes state and outputs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-clean-'));
    await mkdir(join(dir, '.distroforge', 'stages'), { recursive: true });
    await mkdir(join(dir, 'out'));
    const result = await cleanProfile(join(dir, '.distroforge'), join(dir, 'out'));
    expect(result.removed).toHaveLength(2);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});

describe('main', () => {
  it('prints usage with --help and exits 0', async () => {
    const out = capture();
    expect(await main(['--help'], { stdout: out.stream })).toBe(0);
    expect(out.text()).toMatch(/USAGE/);
    expect(out.text()).toMatch(/init/);
  });

  it('maps a profile error to exit code 2 with file, line and hint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-main-'));
    await writeFile(join(dir, 'profile.yaml'), 'name: x\nsource: {type: apt}\nhostnmae: y\n');
    const err = capture();
    const { loadProfile: load } = await import('@distroforge/cli');
    await expect(load(dir)).rejects.toMatchObject({ code: 'ERR_PROFILE_INVALID' });
    const code = await main(['init', dir], { stderr: err.stream });
    expect(code).toBe(exitCodes.usage);
    expect(err.text()).toContain('ERR_USAGE');
  });

  it('reports errors as JSON with --json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-main-'));
    await writeFile(join(dir, 'x'), '');
    const err = capture();
    const code = await main(['init', dir, '--json'], { stderr: err.stream });
    expect(code).toBe(exitCodes.usage);
    expect(JSON.parse(err.text())).toMatchObject({ type: 'error', code: 'ERR_USAGE', exitCode: 2 });
    expect(await readFile(join(dir, 'x'), 'utf8')).toBe('');
  });
});

describe('bootChains', () => {
  it('keeps each persistence pair (write, then check on the same image) in one chain, every other boot alone', async () => {
    const { bootChains } = await import('@distroforge/cli');
    const persist = (image: string, step: 'write' | 'check') => ({ image, step, token: 't' });
    const chains = bootChains([
      { firmware: 'bios', medium: 'cdrom' },
      { firmware: 'bios', medium: 'disk', persist: persist('/b.img', 'write') },
      { firmware: 'uefi', medium: 'disk', persist: persist('/u.img', 'write') },
      { firmware: 'bios', medium: 'disk-usb', persist: persist('/b.img', 'check') },
      { firmware: 'uefi', medium: 'disk-usb', persist: persist('/u.img', 'check') },
      { firmware: 'bios', medium: 'direct' },
    ]);
    expect(chains).toEqual([[0], [1, 3], [2, 4], [5]]);
  });
});

describe('test and run with an image instead of a profile', () => {
  it('boots only ISOs and disk images, needs --ready for an image, and checks --firmware', async () => {
    const { imageTarget, parseFirmwares } = await import('../src/commands/image-target.js');
    const dir = await mkdtemp(join(tmpdir(), 'df-image-'));
    expect(await imageTarget(dir)).toBeUndefined();
    // A GPT disk (sfdisk writes it) becomes a report with that file as the only output.
    const disk = join(dir, 'x.img');
    await writeFile(disk, Buffer.alloc(2 * 1048576));
    await execa('sfdisk', ['-q', disk], { input: 'label: gpt\nstart=2048, size=1024\n' });
    expect(await imageTarget(disk)).toMatchObject({ profile: 'x.img', outputs: [{ kind: 'disk', file: disk, bytes: 2 * 1048576 }] });
    const squashfs = join(dir, 'root.squashfs');
    await writeFile(squashfs, Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(4092)]));
    await expect(imageTarget(squashfs)).rejects.toMatchObject({ code: 'ERR_USAGE', path: squashfs, hint: expect.stringMatching(/--medium direct/) });
    expect(parseFirmwares('bios,uefi-secureboot')).toEqual(['bios', 'uefi-secureboot']);
    expect(() => parseFirmwares('bios,coreboot')).toThrow(expect.objectContaining({ code: 'ERR_USAGE', value: 'coreboot' }));
    const err = capture();
    expect(await main(['test', disk, '--json'], { stderr: err.stream })).toBe(exitCodes.usage);
    expect(JSON.parse(err.text())).toMatchObject({ code: 'ERR_USAGE', message: expect.stringMatching(/needs --ready/) });
  });
});
