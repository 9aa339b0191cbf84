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
    await writeManifest(join(work, 'manifest.json'), mergeManifest(emptyManifest(), [{ path: '/etc/shadow', uid: 0, gid: 42, mode: 0o640 }]));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('create then list --json shows the manifest applied', async () => {
    const out: string[] = [];
    const image = join(work, 'cli.sqfs');
    const code = await main(['create', join(work, 'root'), '-o', image, '--manifest', join(work, 'manifest.json'), '--comp', 'gzip:9', '--epoch', '1700000000'], (s) => out.push(s));
    expect(code).toBe(0);
    expect(out.join('')).toMatch(/cli\.sqfs \d+ bytes \(gzip:9, log .*cli\.sqfs\.log\)/);
    const listed: string[] = [];
    expect(await main(['list', image, '--json'], (s) => listed.push(s))).toBe(0);
    const shadow = listed.map((l) => JSON.parse(l) as { path: string }).find((e) => e.path === '/etc/shadow');
    expect(shadow).toMatchObject({ uid: 0, gid: 42, mode: 0o640, type: 'file' });
  });

  it('usage errors exit 2, typed errors exit 1', async () => {
    const out: string[] = [];
    expect(await main(['frobnicate'], (s) => out.push(s))).toBe(2);
    expect(out.join('')).toBe(usage);
    expect(await main(['create', join(work, 'root'), '-o', join(work, 'x.sqfs'), '--comp', 'zstd:99'], () => {})).toBe(1);
  });
});
