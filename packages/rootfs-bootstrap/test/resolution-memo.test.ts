// resolveRootfs and bootstrapRootfs remember answers: the same request against the same signed
// InRelease files (and the same local package files) is answered from cacheDir/resolutions/
// without reading the index again, with the install order and essential set a fresh plan gives.
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveRootfs } from '../src/index.js';
import { parseOptions, resolveOptionsSchema } from '../src/options.js';
import { defaultCacheDir } from '../src/package-cache.js';
import { plainCandidate } from '../src/package-candidate.js';
import { planRootfs } from '../src/plan/plan-rootfs.js';
import { memoizedPlan } from '../src/resolution-memo.js';
import { buildDeb } from './local-package-fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-memo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('resolveRootfs answers a repeated question from its memo', () => {
  it('reuses the resolution of the same request and resolves again when a local package file changes', async () => {
    // A package no earlier run has seen: the first answer must be a real resolution.
    const nonce = randomBytes(4).toString('hex');
    const deb = buildDeb(work, {
      control: { Package: `df-memo-${nonce}`, Version: '1.0', Architecture: 'all', Depends: 'tree' },
      files: { [`usr/share/df-memo/${nonce}`]: `${nonce}\n` },
    });
    const request = { suite: 'bookworm', variant: 'essential' as const, localPackages: [deb] };
    const first = await resolveRootfs(request);
    expect(first.timings.resolveMs).toBeGreaterThan(0);
    expect(first.packages.map((p) => p.name)).toEqual(expect.arrayContaining([`df-memo-${nonce}`, 'tree']));

    const second = await resolveRootfs(request);
    expect(second.timings.resolveMs).toBe(0);
    expect(second.packages).toEqual(first.packages);

    const changed = buildDeb(work, {
      control: { Package: `df-memo-${nonce}`, Version: '2.0', Architecture: 'all' },
      files: { [`usr/share/df-memo/${nonce}-2`]: 'two\n' },
    });
    const third = await resolveRootfs({ ...request, localPackages: [changed] });
    expect(third.timings.resolveMs).toBeGreaterThan(0);
    expect(third.packages.find((p) => p.name === `df-memo-${nonce}`)?.version).toBe('2.0');
    expect(third.packages.some((p) => p.name === 'tree')).toBe(false);
  }, 300_000);

  it('a remembered plan is the plan: the same install order (every field) and essential set as a fresh one', async () => {
    const nonce = randomBytes(4).toString('hex');
    const deb = buildDeb(work, {
      control: { Package: `df-plan-${nonce}`, Version: '1.0', Architecture: 'all', Depends: 'tree' },
      files: { [`usr/share/df-plan/${nonce}`]: `${nonce}\n` },
    });
    const options = parseOptions(resolveOptionsSchema, { suite: 'bookworm', variant: 'minbase', localPackages: [deb] });
    let planned = 0;
    const fresh = () => {
      planned++;
      return planRootfs(options);
    };
    const first = await memoizedPlan(options, defaultCacheDir(), fresh);
    const second = await memoizedPlan(options, defaultCacheDir(), fresh);
    expect(planned).toBe(1);
    expect(second.result.timings.resolveMs).toBe(0);
    expect(second.order).toEqual(first.order.map(plainCandidate));
    expect(second.order.map((c) => c.name)).toContain(`df-plan-${nonce}`);
    expect([...second.essentialSet].sort()).toEqual([...first.essentialSet].sort());
    expect(second.essentialSet.has('dpkg')).toBe(true);
    expect({ ...second.result, timings: undefined }).toEqual({ ...first.result, timings: undefined });
    expect(second.cacheDir).toBe(first.cacheDir);
  }, 300_000);
});
