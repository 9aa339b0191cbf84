// The resolved package set keys the apt stages (a mirror update re-runs them); offline, the last
// resolution of the same request is reused with a warning so cached builds still work.
import { DistroforgeError } from '@distroforge/core';
import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BuildContext } from '../src/pipeline/build-context.js';
import { resolvedAptPackages } from '../src/pipeline/resolved-apt-packages.js';
import { copyExampleProfile } from './example-profile.js';

const cli = join(import.meta.dirname, '..', 'dist', 'bin', 'cli.js');
const temps: string[] = [];

afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function temp(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

function context(stateDir: string, said: string[]): BuildContext {
  return { paths: { stateDir }, reporter: { say: (text: string) => said.push(text) } } as unknown as BuildContext;
}

const offline = () =>
  Promise.reject(
    new DistroforgeError('ERR_BOOTSTRAP_FETCH', 'cannot fetch http://mirror/dists/bookworm/InRelease: fetch failed'),
  );

describe('resolvedAptPackages', () => {
  it('returns the resolution and, offline, the last one of the same request with a warning', async () => {
    const said: string[] = [];
    const ctx = context(await temp('df-resolved-'), said);
    const v1 = [{ name: 'base-passwd', version: '3.6.1', sha256: 'a'.repeat(64) }];
    expect(await resolvedAptPackages(ctx, 'rootfs', { include: ['x'] }, async () => v1)).toEqual([
      ['base-passwd', '3.6.1', 'a'.repeat(64)],
    ]);
    // The mirror moved on: the new set is returned (and keys the stage differently).
    const v2 = [{ name: 'base-passwd', version: '3.6.2', sha256: 'b'.repeat(64) }];
    expect(await resolvedAptPackages(ctx, 'rootfs', { include: ['x'] }, async () => v2)).toEqual([
      ['base-passwd', '3.6.2', 'b'.repeat(64)],
    ]);
    expect(said).toEqual([]);
    expect(await resolvedAptPackages(ctx, 'rootfs', { include: ['x'] }, offline)).toEqual([
      ['base-passwd', '3.6.2', 'b'.repeat(64)],
    ]);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^warning: cannot fetch .*InRelease.*reusing the package set resolved at \d{4}-/);
  });

  it('offline without an earlier resolution of that request, or on any other error, fails', async () => {
    const ctx = context(await temp('df-resolved-'), []);
    await resolvedAptPackages(ctx, 'rootfs', { include: ['x'] }, async () => []);
    await expect(resolvedAptPackages(ctx, 'rootfs', { include: ['y'] }, offline)).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_FETCH',
    });
    await expect(resolvedAptPackages(ctx, 'kernel', { include: ['x'] }, offline)).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_FETCH',
    });
    const bad = () => Promise.reject(new DistroforgeError('ERR_BOOTSTRAP_SIGNATURE', 'bad signature'));
    await expect(resolvedAptPackages(ctx, 'rootfs', { include: ['x'] }, bad)).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_SIGNATURE',
    });
  });
});

const canUnshareNetwork = (await execa('unshare', ['-n', 'true'], { reject: false })).exitCode === 0;

it.skipIf(!canUnshareNetwork)(
  'examples/minimal: the kernel stage is keyed on the resolved packages and rebuilds from cache without a network',
  async () => {
    const work = await temp('df-offline-');
    const profile = join(work, 'minimal');
    await copyExampleProfile('minimal', profile);
    const args = ['build', profile, '--json', '--state', join(work, 'state'), '--out', join(work, 'out')];
    await execa('node', [cli, ...args]);
    const [key] = (await readdir(join(work, 'state', 'stages', 'kernel'))).filter((n) => !n.startsWith('.'));
    const inputs = JSON.parse(
      await readFile(join(work, 'state', 'stages', 'kernel', key!, '.inputs.json'), 'utf8'),
    ) as { inputs: { packages: string[][] } };
    const image = inputs.inputs.packages.find(([name]) => name!.startsWith('linux-image-6.'));
    expect(image?.[2]).toMatch(/^[0-9a-f]{64}$/);
    // No network at all (a new network namespace): the mirror cannot be asked, the cache answers.
    const again = await execa('unshare', ['-n', 'node', cli, ...args], { reject: false });
    expect(again.exitCode, String(again.stderr)).toBe(0);
    const events = String(again.stderr)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; stage?: string; cached?: boolean; text?: string });
    expect(events.filter((e) => e.type === 'stage-end').map((e) => [e.stage, e.cached])).toEqual([
      ['kernel', true],
      ['initramfs', true],
    ]);
    expect(String(again.stderr)).toMatch(/reusing the package set resolved at/);
  },
  600_000,
);
