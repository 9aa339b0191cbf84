import { lstatSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  maxSymlinkHops,
  resolveInRoot,
  resolveInRootSync,
  RootPathError,
  type ResolveInRootOptions,
} from '../src/index.js';

let work: string;
let root: string;
/** A directory beside the root: nothing may ever resolve into it. */
let outside: string;

/** Builds `spec` under `dir`: a string ending in `/` is a directory, `-> target` a symlink, else a file. */
function build(dir: string, spec: Record<string, string>): void {
  for (const [path, what] of Object.entries(spec)) {
    const host = join(dir, path);
    mkdirSync(join(host, '..'), { recursive: true });
    if (what === '/') mkdirSync(host, { recursive: true });
    else if (what.startsWith('-> ')) symlinkSync(what.slice(3), host);
    else writeFileSync(host, what);
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'distroforge-resolve-'));
  root = join(work, 'root');
  outside = join(work, 'outside');
  build(work, { 'outside/secret': 'host data' });
  build(root, {
    'usr/bin/sh': 'sh',
    'usr/lib/systemd/': '/',
    bin: '-> usr/bin',
    lib: '-> /usr/lib',
    'etc/alternatives/editor': '-> /usr/bin/sh',
    'etc/editor': '-> alternatives/editor',
    'etc/hostile-abs': `-> ${outside}`,
    'etc/hostile-up': '-> ../../../../../../..',
    'etc/hostile-up-abs': `-> ../../../../../../..${outside}`,
    'etc/to-root': '-> /',
    'etc/file': 'x',
    'a/b/deep': '-> ../../usr/lib/systemd',
    'chain/1': '-> 2',
    'chain/2': '-> /chain/3',
    'chain/3': '-> ../usr',
    'loop/a': '-> b',
    'loop/b': '-> a',
    'loop/self': '-> self',
    'x/y/': '/',
    physical: '-> /x/y',
  });
  // A chain of exactly maxSymlinkHops links (ok) and one of one more (ELOOP).
  for (let i = 0; i < maxSymlinkHops + 1; i++) symlinkSync(`h${i + 1}`, join(root, `h${i}`));
  mkdirSync(join(root, `h${maxSymlinkHops + 1}`));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** Both drivers, which must agree on every answer and every error. */
async function resolveBoth(path: string, options: ResolveInRootOptions = {}): Promise<string> {
  const sync = (() => {
    try {
      return { value: resolveInRootSync(root, path, options) };
    } catch (error) {
      return { error };
    }
  })();
  const async = await resolveInRoot(root, path, options).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  expect(async).toEqual(sync);
  if ('error' in async) throw async.error;
  return async.value;
}

describe('resolveInRoot', () => {
  it.each([
    ['/usr/bin/sh', {}, '/usr/bin/sh'],
    ['usr//bin/./sh/', {}, '/usr/bin/sh'],
    ['/', {}, '/'],
    ['', {}, '/'],
    // merged-usr: a relative and an absolute link in a parent
    ['/bin/sh', {}, '/usr/bin/sh'],
    ['/lib/systemd/system', {}, '/usr/lib/systemd/system'],
    // the last component: kept by default, followed on request
    ['/bin', {}, '/bin'],
    ['/bin', { followFinal: true }, '/usr/bin'],
    // links through links: relative -> absolute -> file
    ['/etc/editor', { followFinal: true }, '/usr/bin/sh'],
    ['/etc/editor', {}, '/etc/editor'],
    ['/chain/1/bin/sh', {}, '/usr/bin/sh'],
    ['/a/b/deep/x', {}, '/usr/lib/systemd/x'],
    // an absolute target restarts at the root, not at the host's /
    ['/etc/hostile-abs/secret', {}, '<outside>/secret'],
    ['/etc/to-root/etc/file', {}, '/etc/file'],
    // .. is physical: it leaves where the link led (/x/y), not the link's parent
    ['/physical/..', {}, '/x'],
    ['/physical/../y', {}, '/x/y'],
    ['/etc/../usr', {}, '/usr'],
    // missing components are kept as named; a .. out of one resumes following links
    ['/new/dir/file', {}, '/new/dir/file'],
    ['/etc/file/below', {}, '/etc/file/below'],
    ['/new/../bin/sh', {}, '/usr/bin/sh'],
    ['/etc/new/../alternatives/editor/x', {}, '/usr/bin/sh/x'],
  ] as const)('%s %j -> %s', async (path, options, expected) => {
    // (the table is built before the fixture: <outside> stands for its host directory)
    expect(await resolveBoth(path, options)).toBe(expected.replace('<outside>', outside));
  });

  it('a .. above the root, in the path or in a link target: refused by default, naming the link; clamped on request', async () => {
    await expect(resolveBoth('/../etc')).rejects.toMatchObject({
      code: 'ERR_PATH_ESCAPE',
      path: '/../etc',
      value: '/../etc',
      root,
    });
    await expect(resolveBoth('usr/../../etc')).rejects.toMatchObject({ code: 'ERR_PATH_ESCAPE' });
    const error = await resolveBoth('/etc/hostile-up/etc/file').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RootPathError);
    expect(error).toMatchObject({
      code: 'ERR_PATH_ESCAPE',
      path: '/etc/hostile-up/etc/file',
      value: '/etc/hostile-up -> ../../../../../../..',
      hint: expect.stringContaining('symlink'),
    });
    await expect(resolveBoth('/etc/hostile-up-abs/secret')).rejects.toMatchObject({ code: 'ERR_PATH_ESCAPE' });

    const clamp = { aboveRoot: 'clamp' } as const;
    expect(await resolveBoth('/../etc', clamp)).toBe('/etc');
    expect(await resolveBoth('/etc/hostile-up/etc/file', clamp)).toBe('/etc/file');
    expect(await resolveBoth('/etc/hostile-up-abs/secret', clamp)).toBe(`${outside}/secret`);
    // The final link is not followed, so it cannot be refused.
    expect(await resolveBoth('/etc/hostile-up')).toBe('/etc/hostile-up');
  });

  it(`follows at most ${maxSymlinkHops} links (the kernel's ELOOP limit), loops are ERR_PATH_LOOP`, async () => {
    expect(await resolveBoth('/h1/x')).toBe(`/h${maxSymlinkHops + 1}/x`);
    await expect(resolveBoth('/h0/x')).rejects.toMatchObject({
      code: 'ERR_PATH_LOOP',
      path: '/h0/x',
      value: expect.stringMatching(/^\/h\d+ -> h\d+$/),
    });
    await expect(resolveBoth('/loop/a/x')).rejects.toMatchObject({
      code: 'ERR_PATH_LOOP',
      hint: expect.stringContaining('loop'),
    });
    await expect(resolveBoth('/loop/self', { followFinal: true })).rejects.toMatchObject({ code: 'ERR_PATH_LOOP' });
    expect(await resolveBoth('/loop/self')).toBe('/loop/self');
  });

  it('a name over 255 bytes (in the path or a link target) or a host path over 4095 bytes is a typed error', async () => {
    const long = 'é'.repeat(128); // 256 bytes, 128 UTF-16 units
    await expect(resolveBoth(`/etc/${long}`)).rejects.toMatchObject({
      code: 'ERR_PATH_NAME_TOO_LONG',
      value: long,
      bytes: 256,
    });
    expect(await resolveBoth(`/etc/${'é'.repeat(127)}`)).toBe(`/etc/${'é'.repeat(127)}`);
    const deep = Array.from({ length: 20 }, () => 'd'.repeat(250)).join('/');
    await expect(resolveBoth(deep)).rejects.toMatchObject({ code: 'ERR_PATH_TOO_LONG', bytes: expect.any(Number) });
  });
});

describe('resolveInRoot against hostile trees (seeded)', () => {
  // Random trees of directories and links whose targets are absolute host paths, runs of .., links
  // to links and loops; random paths through them. Whatever the answer, nothing that exists on the
  // way to it may be a symlink (so a write there cannot be redirected) and it must lie inside the root.
  function prng(seed: number) {
    let state = seed >>> 0;
    return (n: number) => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state % n;
    };
  }

  it('every answer is inside the root with no link on its way, in both modes', async () => {
    const random = prng(0xd15 ^ Number(process.env.FUZZ_SEED ?? 0));
    const names = ['a', 'b', 'c', '..', '.', 'usr', 'etc'];
    const targets = () => {
      const parts = Array.from({ length: 1 + random(6) }, () => names[random(names.length)]!);
      const kind = random(4);
      if (kind === 0) return `/${parts.join('/')}`;
      if (kind === 1) return `${outside}/${parts.join('/')}`;
      if (kind === 2) return `${'../'.repeat(1 + random(8))}${parts.join('/')}`;
      return parts.join('/');
    };
    const outcomes = { resolved: 0, refused: 0 };
    for (let tree = 0; tree < 30; tree++) {
      const fuzzRoot = join(work, `fuzz-${tree}`);
      mkdirSync(fuzzRoot);
      for (let i = 0; i < 25; i++) {
        // Entries are named like the path components, so the paths below run through them. Never
        // through a link while building: that could create directories on the host.
        const parts = Array.from({ length: 1 + random(4) }, () => names[random(3)]!);
        let parent = fuzzRoot;
        let real = true;
        for (const part of parts.slice(0, -1)) {
          parent = join(parent, part);
          const stats = lstatSync(parent, { throwIfNoEntry: false });
          if (!stats) mkdirSync(parent);
          else if (!stats.isDirectory()) real = false;
          if (!real) break;
        }
        const name = join(fuzzRoot, ...parts);
        if (!real || lstatSync(name, { throwIfNoEntry: false })) continue;
        if (random(3) === 0) mkdirSync(name);
        else symlinkSync(targets(), name);
      }
      for (let i = 0; i < 60; i++) {
        const path = targets();
        for (const options of [
          {},
          { aboveRoot: 'clamp' },
          { followFinal: true },
          { followFinal: true, aboveRoot: 'clamp' },
        ] as const) {
          let resolved: string;
          try {
            resolved = resolveInRootSync(fuzzRoot, path, options);
            expect(await resolveInRoot(fuzzRoot, path, options)).toBe(resolved);
          } catch (error) {
            expect(error).toBeInstanceOf(RootPathError);
            await expect(resolveInRoot(fuzzRoot, path, options)).rejects.toMatchObject({
              code: (error as RootPathError).code,
            });
            outcomes.refused++;
            continue;
          }
          outcomes.resolved++;
          expect(resolved.startsWith('/')).toBe(true);
          const parts = resolved.split('/').filter(Boolean);
          expect(parts).not.toContain('..');
          expect(parts).not.toContain('.');
          for (let depth = 1; depth <= parts.length; depth++) {
            const host = join(fuzzRoot, ...parts.slice(0, depth));
            const stats = lstatSync(host, { throwIfNoEntry: false });
            if (!stats) break;
            if (depth < parts.length || options.followFinal)
              expect(stats.isSymbolicLink(), `${path} -> ${resolved}: ${host}`).toBe(false);
            else if (stats.isSymbolicLink()) break;
            expect(
              realpathSync(host).startsWith(`${realpathSync(fuzzRoot)}/`) ||
                realpathSync(host) === realpathSync(fuzzRoot),
            ).toBe(true);
          }
        }
      }
    }
    // The generator must reach both outcomes, or the test proves little.
    expect(outcomes.resolved).toBeGreaterThan(1000);
    expect(outcomes.refused).toBeGreaterThan(50);
  });
});
