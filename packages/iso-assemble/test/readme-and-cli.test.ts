import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, usage } from '../src/cli-main.js';
import { debianKernel, markerInitramfs } from './fixtures.js';
import { runReadmeExample } from '../../../tools/testing/readme-example.mjs';

const pkg = join(import.meta.dirname, '..');
let work: string;
let kernel: string;
let initrd: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'iso-assemble-cli-'));
  kernel = await debianKernel();
  initrd = await markerInitramfs(work);
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

// Runs against dist/ (the nx test target depends on build).
it('the README example is the file in examples/ and prints what the README shows', async () => {
  const { readme, source, stdout, shown } = await runReadmeExample(pkg, 'build-and-inspect.mjs', [kernel, initrd]);
  expect(readme).toContain(source.trim());
  expect(stdout).toBe(shown);
}, 120_000);

describe('iso-assemble command line', () => {
  it('builds from a JSON options file, then inspects the ISO', async () => {
    const config = join(work, 'options.json');
    const output = join(work, 'cli.iso');
    await writeFile(
      config,
      JSON.stringify({ output, label: 'DFCLI', kernel, initrd, uefi: false, sourceDateEpoch: 1700000000 }),
    );
    const out: string[] = [];
    expect(await main(['build', config], (s) => out.push(s))).toBe(0);
    expect(out.join('')).toMatch(/cli\.iso: \d+ bytes, BIOS, sha256 [0-9a-f]{64} \(log .*cli\.iso\.log\)\n/);
    const listed: string[] = [];
    expect(await main(['inspect', output], (s) => listed.push(s))).toBe(0);
    expect(listed.join('')).toContain('El Torito 1: BIOS /boot/grub/i386-pc/eltorito.img\n');
    expect(listed.join('')).not.toContain('El Torito 2');
    const json: string[] = [];
    expect(await main(['inspect', output, '--json'], (s) => json.push(s))).toBe(0);
    expect(JSON.parse(json.join('')).volumeId).toBe('DFCLI');
  }, 120_000);

  it('an unknown command or flag, a missing or stray argument exit 2 with the hint and the usage; typed errors exit 1 with the code and hint', async () => {
    const out: string[] = [];
    const err: string[] = [];
    for (const [argv, message, hint] of [
      [['frobnicate'], "unknown command 'frobnicate'", 'commands: build, inspect'],
      [['inspct', 'x'], "unknown command 'inspct'", 'did you mean inspect?'],
      [['inspect', 'x', '--jsn'], "unknown flag '--jsn'", 'did you mean --json?'],
      [
        ['inspect', 'x', 'y'],
        "unexpected argument 'y': this command takes one FILE.iso",
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
    expect(
      await main(
        ['inspect', join(work, 'options.json')],
        (s) => out.push(s),
        (s) => err.push(s),
      ),
    ).toBe(1);
    expect(err.join('')).toContain('ERR_NOT_AN_ISO');
    expect(out).toEqual([]);
  });
});
