import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cleanProfile, exitCodes, initProfile, loadProfile, main } from '@distroforge/cli';
import { LEDGER_NAME, OutputDirectory } from '../src/pipeline/output-directory.js';

/** The built bin, as a user runs it (npm test builds before testing). */
const bin = join(import.meta.dirname, '..', 'dist', 'bin', 'cli.js');

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
  async function published(outDir: string, profileDir: string, names: string[]): Promise<void> {
    const outputs = await OutputDirectory.open(outDir, profileDir);
    for (const name of names) await writeFile(await outputs.claim(name), name);
  }

  it('removes the state and what builds published, and the output directory only if distroforge made it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-clean-'));
    await mkdir(join(dir, '.distroforge', 'stages'), { recursive: true });
    await published(join(dir, 'out'), dir, ['x.iso', 'x.iso.sha256', 'build-report.json']);
    await writeFile(join(dir, 'out', 'x.iso.partial-123'), 'interrupted');
    const result = await cleanProfile({
      profileDir: dir,
      stateDir: join(dir, '.distroforge'),
      outDir: join(dir, 'out'),
    });
    expect(result.removed).toContain(join(dir, 'out'));
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(existsSync(join(dir, '.distroforge'))).toBe(false);
  });

  it('never deletes what it did not publish: --out pointing at a directory of the user', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-clean-'));
    const home = join(dir, 'home');
    await mkdir(join(home, 'photos'), { recursive: true });
    await writeFile(join(home, 'notes.txt'), 'keep me');
    await writeFile(join(home, 'x.iso'), 'my own iso');
    const profile = join(dir, 'profile');
    await mkdir(profile);
    // A build into it publishes beside the user's files but never over one it did not make.
    const outputs = await OutputDirectory.open(home, profile);
    await expect(outputs.claim('x.iso')).rejects.toMatchObject({
      code: 'ERR_OUTPUT_EXISTS',
      path: join(home, 'x.iso'),
    });
    await writeFile(await outputs.claim('x.img'), 'built');
    const result = await cleanProfile({ profileDir: profile, stateDir: join(profile, '.distroforge'), outDir: home });
    expect(result.removed).toEqual([join(home, 'x.img')]);
    expect(await readFile(join(home, 'notes.txt'), 'utf8')).toBe('keep me');
    expect(await readFile(join(home, 'x.iso'), 'utf8')).toBe('my own iso');
    expect(existsSync(join(home, 'photos'))).toBe(true);
    // A directory with no ledger (never built into) is left as it is.
    expect(
      await cleanProfile({
        profileDir: profile,
        stateDir: join(profile, '.distroforge'),
        outDir: join(dir, 'home', 'photos'),
      }),
    ).toEqual({ removed: [], unmounted: [] });
  });

  it('keeps a directory it made once the user put files of their own in it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-clean-'));
    await published(join(dir, 'out'), dir, ['x.iso']);
    await writeFile(join(dir, 'out', 'README'), 'mine');
    await cleanProfile({ profileDir: dir, stateDir: join(dir, '.distroforge'), outDir: join(dir, 'out') });
    expect(await readdir(join(dir, 'out'))).toEqual(['README']);
  });

  it('refuses /, the profile directory and its parents as the output directory, for clean and build', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-clean-'));
    const profile = join(dir, 'a', 'profile');
    await mkdir(profile, { recursive: true });
    for (const out of ['/', profile, join(dir, 'a'), dir]) {
      await expect(
        cleanProfile({ profileDir: profile, stateDir: join(profile, '.distroforge'), outDir: out }),
      ).rejects.toMatchObject({ code: 'ERR_OUTPUT_DIRECTORY', path: out });
      await expect(OutputDirectory.open(out, profile)).rejects.toMatchObject({ code: 'ERR_OUTPUT_DIRECTORY' });
    }
    expect(existsSync(profile)).toBe(true);
    // The real command: exit 4 (a build error) and the directory untouched.
    await initProfile(join(dir, 'p'), 'minimal');
    const err = capture();
    expect(await main(['clean', join(dir, 'p'), '--out', dir], { stderr: err.stream, stdout: capture().stream })).toBe(
      exitCodes.buildFailed,
    );
    expect(err.text()).toContain('ERR_OUTPUT_DIRECTORY');
    expect(existsSync(join(dir, 'p', 'profile.yaml'))).toBe(true);
  });

  it('adopts the outputs an older build report lists, so an upgrade rebuilds over them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-clean-'));
    const out = join(dir, 'out');
    await mkdir(out);
    await writeFile(
      join(out, 'build-report.json'),
      JSON.stringify({ outputs: [{ file: join(out, 'x.iso') }, { file: '/etc/passwd' }] }),
    );
    await writeFile(join(out, 'x.iso'), 'old');
    await writeFile(join(out, 'mine.txt'), 'user');
    const outputs = await OutputDirectory.open(out, dir);
    expect(await outputs.claim('x.iso')).toBe(join(out, 'x.iso'));
    await expect(outputs.claim('mine.txt')).rejects.toMatchObject({ code: 'ERR_OUTPUT_EXISTS' });
    expect(JSON.parse(await readFile(join(out, LEDGER_NAME), 'utf8'))).toEqual({
      createdDirectory: false,
      files: ['build-report.json', 'x.iso', 'x.iso.sha256'],
    });
  });

  it('does not trust a ledger that names files outside its directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-clean-'));
    await mkdir(join(dir, 'out'));
    await writeFile(join(dir, 'victim'), 'keep');
    await writeFile(
      join(dir, 'out', LEDGER_NAME),
      JSON.stringify({ createdDirectory: true, files: ['../victim', '/etc/passwd', '..'] }),
    );
    await cleanProfile({
      profileDir: join(dir, 'p'),
      stateDir: join(dir, 'p', '.distroforge'),
      outDir: join(dir, 'out'),
    });
    expect(await readFile(join(dir, 'victim'), 'utf8')).toBe('keep');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});

describe('main', () => {
  it('prints usage with --help and exits 0', async () => {
    const out = capture();
    expect(await main(['--help'], { stdout: out.stream })).toBe(0);
    expect(out.text()).toMatch(/^Usage: distroforge COMMAND/);
    expect(out.text()).toMatch(/init/);
  });

  it('maps a profile error to exit code 2 with file, line and hint (the built bin on an invalid profile)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-main-'));
    await writeFile(join(dir, 'profile.yaml'), 'name: x\nsource: {type: apt}\nhostnmae: y\n');
    await writeFile(join(dir, 'packages.txt'), '');
    const run = await execa('node', [bin, 'build', dir], { reject: false });
    expect(run.exitCode).toBe(exitCodes.usage);
    expect(run.stderr).toContain('ERR_PROFILE_INVALID');
    expect(run.stderr).toContain(`${join(dir, 'profile.yaml')}:3`);
    expect(run.stderr).toMatch(/hint: .*hostname/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(existsSync(join(dir, '.distroforge'))).toBe(false);
  });

  it('refuses unknown flags and stray arguments with exit code 2 and a did-you-mean hint, and takes -o for --out', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-flags-'));
    for (const [argv, message, hint] of [
      [['build', dir, '--ouput', join(dir, 'elsewhere')], "unknown flag '--ouput'", 'did you mean --out?'],
      [['build', dir, '--chek'], "unknown flag '--chek'", 'did you mean --check?'],
      [['test', dir, '--firmwre=uefi'], "unknown flag '--firmwre'", 'did you mean --firmware?'],
      [['clean', dir, '--keep-output'], "unknown flag '--keep-output'", 'did you mean --keep-outputs?'],
      [['build', dir, 'stray'], "unexpected argument 'stray'", 'see --help'],
      [['build', dir, '--out'], '--out needs a value', '--out VALUE'],
      [['biuld', dir], "unknown command 'biuld'", 'did you mean distroforge build?'],
    ] as const) {
      const err = capture();
      expect(await main([...argv], { stderr: err.stream }), argv.join(' ')).toBe(exitCodes.usage);
      expect(err.text()).toContain(`ERR_USAGE: ${message}`);
      expect(err.text()).toContain(hint);
    }
    expect(existsSync(join(dir, 'elsewhere'))).toBe(false);
    // -o is --out: clean removes the outputs published in the directory it names.
    await initProfile(join(dir, 'p'), 'minimal');
    const out = join(dir, 'o-out');
    const outputs = await OutputDirectory.open(out, join(dir, 'p'));
    await writeFile(await outputs.claim('p.iso'), '');
    expect(
      await main(['clean', join(dir, 'p'), '-o', out], { stderr: capture().stream, stdout: capture().stream }),
    ).toBe(exitCodes.ok);
    expect(existsSync(out)).toBe(false);
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
    expect(await imageTarget(disk)).toMatchObject({
      profile: 'x.img',
      outputs: [{ kind: 'disk', file: disk, bytes: 2 * 1048576 }],
    });
    const squashfs = join(dir, 'root.squashfs');
    await writeFile(squashfs, Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(4092)]));
    await expect(imageTarget(squashfs)).rejects.toMatchObject({
      code: 'ERR_USAGE',
      path: squashfs,
      hint: expect.stringMatching(/--medium direct/),
    });
    expect(parseFirmwares('bios,uefi-secureboot')).toEqual(['bios', 'uefi-secureboot']);
    expect(() => parseFirmwares('bios,coreboot')).toThrow(
      expect.objectContaining({ code: 'ERR_USAGE', value: 'coreboot' }),
    );
    const err = capture();
    expect(await main(['test', disk, '--json'], { stderr: err.stream })).toBe(exitCodes.usage);
    expect(JSON.parse(err.text())).toMatchObject({
      code: 'ERR_USAGE',
      message: expect.stringMatching(/needs --ready/),
    });
  });
});
