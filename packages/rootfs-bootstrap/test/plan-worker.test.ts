// The repository index is read and resolved in a worker thread (src/plan/): its errors come back as
// the classes they were thrown as, and the published build (dist/, which has the worker's entry)
// resolves as this thread would while this thread's heap never holds the index.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import { DistroforgeError, ToolMissingError } from '@distroforge/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DigestMismatchError, UnsatisfiableError, type BootstrapProgress } from '../src/index.js';
import { parseOptions, resolveOptionsSchema } from '../src/options.js';
import { defaultCacheDir } from '../src/package-cache.js';
import { planRootfs } from '../src/plan/plan-rootfs.js';
import { reviveError, serializeError } from '../src/plan/worker-error.js';

/** What the message port does to an error: serialize, structured clone, revive. */
const acrossThreads = (error: unknown) => reviveError(structuredClone(serializeError(error)));

describe('errors across the worker boundary', () => {
  it('come back as their own class with their fields, hint and describe()', () => {
    const unsatisfiable = acrossThreads(new UnsatisfiableError(['hello', 'libfoo (>= 2)'], 'no such package'));
    expect(unsatisfiable).toBeInstanceOf(UnsatisfiableError);
    expect(unsatisfiable).toBeInstanceOf(DistroforgeError);
    expect(unsatisfiable).toMatchObject({
      name: 'UnsatisfiableError',
      code: 'ERR_BOOTSTRAP_UNSATISFIABLE',
      chain: ['hello', 'libfoo (>= 2)'],
      reason: 'no such package',
      value: 'libfoo (>= 2)',
      message: 'cannot satisfy hello -> libfoo (>= 2): no such package',
    });
    expect((unsatisfiable as UnsatisfiableError).describe()).toContain('hint: check the package names');
    expect(unsatisfiable.stack).toContain('plan-worker.test.ts');

    const digest = acrossThreads(new DigestMismatchError('Packages.xz', 'aa', 'bb', { path: '/x/Packages.xz' }));
    expect(digest).toBeInstanceOf(DigestMismatchError);
    expect(digest).toMatchObject({
      code: 'ERR_BOOTSTRAP_DIGEST',
      expected: 'aa',
      actual: 'bb',
      path: '/x/Packages.xz',
    });

    const missing = acrossThreads(new ToolMissingError('xz', 'apt-get install xz-utils'));
    expect(missing).toBeInstanceOf(ToolMissingError);
    expect(missing).toMatchObject({
      code: 'ERR_TOOL_MISSING',
      tool: 'xz',
      hint: 'install it with: apt-get install xz-utils',
    });
  });

  it("keep a system error's code and path, a cause chain, and make an Error of anything else thrown", () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/nope'"), {
      code: 'ENOENT',
      errno: -2,
      path: '/nope',
    });
    const wrapped = acrossThreads(new DigestMismatchError('x', 'a', 'b', { cause: enoent }));
    expect(wrapped.cause).toBeInstanceOf(Error);
    expect(wrapped.cause).toMatchObject({ code: 'ENOENT', errno: -2, path: '/nope', message: enoent.message });

    const typeError = acrossThreads(new TypeError('bad'));
    expect(typeError).toMatchObject({ name: 'TypeError', message: 'bad' });

    const thrown = acrossThreads('a string');
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown.message).toBe('a string');

    // A field that cannot cross (a function) is left out instead of failing the whole error.
    const withFunction = acrossThreads(Object.assign(new Error('f'), { callback: () => 1, code: 'E_X' }));
    expect(withFunction).toMatchObject({ code: 'E_X' });
    expect('callback' in withFunction).toBe(false);
  });
});

describe('the published build resolves in a worker thread (real bookworm metadata)', async () => {
  const dist = (await import(
    pathToFileURL(join(import.meta.dirname, '../dist/index.js')).href
  )) as typeof import('../src/index.js');
  // A cache of its own (so no remembered resolution answers) that shares the verified indexes.
  const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-plan-worker-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const cacheDir = join(work, 'cache');
  mkdirSync(join(defaultCacheDir(), 'indexes'), { recursive: true });
  mkdirSync(cacheDir);
  symlinkSync(join(defaultCacheDir(), 'indexes'), join(cacheDir, 'indexes'));
  const request = { suite: 'bookworm', variant: 'minbase' as const, include: ['hello'], cacheDir };
  const heap = () => v8.getHeapStatistics().total_heap_size;

  it("gives the packages this thread gives, with progress events, and this thread's heap does not take the index", async () => {
    const events: BootstrapProgress[] = [];
    const before = heap();
    const inWorker = await dist.resolveRootfs({ ...request, onProgress: (e) => events.push(e) });
    const workerGrowth = heap() - before;

    const before2 = heap();
    const here = await planRootfs(parseOptions(resolveOptionsSchema, request));
    const hereGrowth = heap() - before2;

    expect(inWorker.packages).toEqual(here.result.packages);
    expect(inWorker.packages.some((p) => p.name === 'hello')).toBe(true);
    expect(events.some((e) => e.phase === 'index')).toBe(true);
    expect(events).toContainEqual({ phase: 'resolve', packages: inWorker.packages.length });
    // Reading ~65,000 index entries in this thread grows its heap by tens of MiB; the worker's answer
    // (a few hundred packages) and the Release checks made here, by a few. Were the index read in
    // this thread both times, the first growth would be the larger one.
    console.log(
      `heap growth: worker ${(workerGrowth / 2 ** 20).toFixed(1)} MiB, this thread ${(hereGrowth / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(hereGrowth).toBeGreaterThan(24 * 2 ** 20);
    expect(workerGrowth).toBeLessThan(hereGrowth / 2);
  });

  it('an unsatisfiable request is the UnsatisfiableError of the published build, chain and hint intact', async () => {
    const error = await dist
      .resolveRootfs({ ...request, include: ['df-no-such-package-anywhere'] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(dist.UnsatisfiableError);
    expect(error).toMatchObject({ code: 'ERR_BOOTSTRAP_UNSATISFIABLE', chain: ['df-no-such-package-anywhere'] });
    expect((error as UnsatisfiableError).describe()).toContain('hint:');
  });

  it('an abort ends the worker and rejects with the abort reason', async () => {
    const controller = new AbortController();
    const reason = new Error('stop now');
    // The first index event comes from the worker, once it reads the index: abort then.
    const pending = dist.resolveRootfs({
      ...request,
      exclude: ['df-another-key'],
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === 'index') controller.abort(reason);
      },
    });
    await expect(pending).rejects.toBe(reason);
    expect(process.getActiveResourcesInfo()).not.toContain('MessagePort');
  });
});
