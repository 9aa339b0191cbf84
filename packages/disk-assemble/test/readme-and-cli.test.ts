import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, usage } from '../src/cli-main.js';

const pkg = join(import.meta.dirname, '..');
let work: string;
let kernel: string;
let initrd: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'disk-assemble-cli-'));
  // The README's run: an 8 000 000-byte kernel and a 4 000 000-byte initramfs (only sizes matter).
  kernel = join(work, 'vmlinuz');
  initrd = join(work, 'initrd.img');
  await writeFile(kernel, Buffer.alloc(8_000_000, 1));
  await writeFile(initrd, Buffer.alloc(4_000_000, 2));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

// Runs against dist/ (the nx test target depends on build).
it('the README example is the file in examples/ and prints what the README shows', async () => {
  const readme = await readFile(join(pkg, 'README.md'), 'utf8');
  const source = await readFile(join(pkg, 'examples', 'build-and-inspect.mjs'), 'utf8');
  expect(readme).toContain(source.trim());
  const { stdout } = await execa('node', [join(pkg, 'examples', 'build-and-inspect.mjs'), kernel, initrd], {
    cwd: pkg,
  });
  const shown = /Output:\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  expect(stdout).toBe(shown.trim());
});

describe('disk-assemble command line', () => {
  it('builds from a JSON options file, then inspects the image', async () => {
    const root = join(work, 'root');
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(join(root, 'etc/hostname'), 'cli\n');
    const config = join(work, 'options.json');
    const output = join(work, 'cli.img');
    await writeFile(
      config,
      JSON.stringify({
        output,
        root: { directory: root, freeSpace: 4 << 20 },
        kernel,
        initrd,
        bios: false,
        seed: 'cli',
        sourceDateEpoch: 1700000000,
      }),
    );
    const out: string[] = [];
    expect(await main(['build', config], (s) => out.push(s))).toBe(0);
    expect(out.join('')).toMatch(
      new RegExp(`^${output}: raw, disk \\d+ bytes, UEFI, root PARTUUID [0-9A-F-]{36}, sha256 [0-9a-f]{64}`),
    );
    const shown: string[] = [];
    expect(await main(['inspect', output], (s) => shown.push(s))).toBe(0);
    const lines = shown.join('').trimEnd().split('\n');
    expect(lines[0]).toMatch(/raw, \d+ MiB, GPT .*, backup valid, MBR boot code none$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual([
      '1 ESP esp',
      '2 root root-x86-64',
    ]);
    const json: string[] = [];
    expect(await main(['inspect', output, '--json'], (s) => json.push(s))).toBe(0);
    expect(JSON.parse(json.join('')).partitions[1].filesystem.type).toBe('ext4');
  });

  it('prints typed errors with exit code 1; an unknown command or flag, a missing or stray argument with exit code 2, the hint and the usage', async () => {
    const errors: string[] = [];
    expect(
      await main(
        ['inspect', join(work, 'missing.img')],
        () => {},
        (s) => errors.push(s),
      ),
    ).toBe(1);
    expect(errors.join('')).toMatch(/^ERR_INPUT_MISSING: disk image not found/);
    const notGpt = join(work, 'zeros.img');
    await writeFile(notGpt, Buffer.alloc(1 << 20));
    errors.length = 0;
    expect(
      await main(
        ['inspect', notGpt],
        () => {},
        (s) => errors.push(s),
      ),
    ).toBe(1);
    expect(errors.join('')).toMatch(/^ERR_NOT_A_GPT_DISK: /);
    errors.length = 0;
    for (const [argv, message, hint] of [
      [['frobnicate'], "unknown command 'frobnicate'", 'commands: build, inspect'],
      [['inspct', 'x'], "unknown command 'inspct'", 'did you mean inspect?'],
      [['inspect', 'x', '--jsn'], "unknown flag '--jsn'", 'did you mean --json?'],
      [
        ['inspect', 'x', 'y'],
        "unexpected argument 'y': this command takes one DISK.img",
        'quote an argument that contains spaces; see --help',
      ],
      [['build'], 'missing argument: expected OPTIONS.json', 'see --help'],
    ] as const) {
      const refused: string[] = [];
      expect(
        await main(
          [...argv],
          () => {},
          (s) => refused.push(s),
        ),
        argv.join(' '),
      ).toBe(2);
      expect(refused.join('')).toBe(`ERR_USAGE: ${message}\n  hint: ${hint}\n${usage}`);
    }
  });
});
