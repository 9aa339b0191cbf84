import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyManifest, mergeManifest, writeManifest } from '@distroforge/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, usage } from '../src/cli-main.js';

const pkg = join(import.meta.dirname, '..');

// Runs against dist/ (the nx test target depends on build).
it('the README example is the file in examples/ and prints what the README shows', async () => {
  const readme = await readFile(join(pkg, 'README.md'), 'utf8');
  const source = await readFile(join(pkg, 'examples', 'create-and-list.mjs'), 'utf8');
  expect(readme).toContain(source.trim());
  const { stdout } = await execa('node', [join(pkg, 'examples', 'create-and-list.mjs')], { cwd: pkg });
  const shown = /Output:\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  expect(stdout).toBe(shown.trim());
});

describe('squashfs-wrap command line', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'squashfs-cli-'));
    await mkdir(join(work, 'root/etc'), { recursive: true });
    await writeFile(join(work, 'root/etc/shadow'), 'x\n');
    await writeManifest(
      join(work, 'manifest.json'),
      mergeManifest(emptyManifest(), [{ path: '/etc/shadow', uid: 0, gid: 42, mode: 0o640 }]),
    );
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('create then list --json shows the manifest applied', async () => {
    const out: string[] = [];
    const image = join(work, 'cli.sqfs');
    const code = await main(
      [
        'create',
        join(work, 'root'),
        '-o',
        image,
        '--manifest',
        join(work, 'manifest.json'),
        '--comp',
        'gzip:9',
        '--epoch',
        '1700000000',
      ],
      (s) => out.push(s),
    );
    expect(code).toBe(0);
    expect(out.join('')).toMatch(/cli\.sqfs \d+ bytes \(gzip:9, log .*cli\.sqfs\.log\)/);
    const listed: string[] = [];
    expect(await main(['list', image, '--json'], (s) => listed.push(s))).toBe(0);
    const shadow = listed.map((l) => JSON.parse(l) as { path: string }).find((e) => e.path === '/etc/shadow');
    expect(shadow).toMatchObject({ uid: 0, gid: 42, mode: 0o640, type: 'file' });
  });

  it('an unknown command or flag, a missing or stray argument exit 2 with the hint and the usage; typed errors exit 1', async () => {
    const out: string[] = [];
    for (const [argv, message, hint] of [
      [['frobnicate'], "unknown command 'frobnicate'", 'commands: create, list'],
      [['lst', 'x'], "unknown command 'lst'", 'did you mean list?'],
      [['create', 'root', '-o', 'x', '--compression', 'xz'], "unknown flag '--compression'", 'did you mean --comp?'],
      [['create', 'root'], 'create needs -o IMAGE', 'squashfs-wrap create DIR -o IMAGE'],
      [
        ['list', 'a', 'b'],
        "unexpected argument 'b': this command takes one IMAGE",
        'quote an argument that contains spaces; see --help',
      ],
    ] as const) {
      const refused: string[] = [];
      expect(
        await main(
          [...argv],
          (s) => out.push(s),
          (s) => refused.push(s),
        ),
        argv.join(' '),
      ).toBe(2);
      expect(refused.join('')).toBe(`ERR_USAGE: ${message}\n  hint: ${hint}\n${usage}`);
    }
    expect(out).toEqual([]);
    expect(await main(['create', join(work, 'root'), '-o', join(work, 'x.sqfs'), '--comp', 'zstd:99'], () => {})).toBe(
      1,
    );
  });
});
