import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256File, useFileDigestCache } from '@distroforge/core';

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Replaces every remembered digest with a fake one: a later hit then shows it came from the cache. */
async function tamper(cacheFile: string, fake: string): Promise<void> {
  const parsed = JSON.parse(await readFile(cacheFile, 'utf8')) as { entries: Record<string, { digest: string }> };
  for (const entry of Object.values(parsed.entries)) entry.digest = fake;
  await writeFile(cacheFile, JSON.stringify(parsed));
}

describe('useFileDigestCache', () => {
  afterEach(() => useFileDigestCache(undefined));

  it('serves an unchanged settled file from the cache and hashes a changed one again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-digest-cache-'));
    const file = join(dir, 'image');
    const bytes = Buffer.alloc(2 * MiB, 7);
    await writeFile(file, bytes);
    await sleep(1100); // older than the racy window
    const cacheFile = join(dir, 'cache', 'digests.json');
    useFileDigestCache(cacheFile);
    expect(await sha256File(file)).toBe(sha256(bytes));
    const fake = 'f'.repeat(64);
    await tamper(cacheFile, fake);
    useFileDigestCache(cacheFile); // a new process: the cache is read from the file
    expect(await sha256File(file)).toBe(fake);

    await appendFile(file, 'more');
    expect(await sha256File(file)).toBe(sha256(Buffer.concat([bytes, Buffer.from('more')])));
  });

  it('does not trust a digest taken in the same moment the file was written, nor cache small files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-digest-cache-'));
    const cacheFile = join(dir, 'digests.json');
    useFileDigestCache(cacheFile);
    const fresh = join(dir, 'fresh');
    const bytes = Buffer.alloc(2 * MiB, 1);
    await writeFile(fresh, bytes);
    expect(await sha256File(fresh)).toBe(sha256(bytes));
    await tamper(cacheFile, 'e'.repeat(64));
    useFileDigestCache(cacheFile);
    expect(await sha256File(fresh)).toBe(sha256(bytes));

    const small = join(dir, 'small');
    await writeFile(small, 'tiny');
    await sha256File(small);
    const parsed = JSON.parse(await readFile(cacheFile, 'utf8')) as { entries: Record<string, unknown> };
    expect(Object.keys(parsed.entries).some((k) => k.startsWith(`${small}:`))).toBe(false);
  });

  it('is off by default, and a corrupt cache file is ignored', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-digest-cache-'));
    const file = join(dir, 'image');
    const bytes = Buffer.alloc(MiB, 3);
    await writeFile(file, bytes);
    const cacheFile = join(dir, 'digests.json');
    await writeFile(cacheFile, '{not json');
    useFileDigestCache(cacheFile);
    expect(await sha256File(file)).toBe(sha256(bytes));
    useFileDigestCache(undefined);
    await tamper(cacheFile, 'd'.repeat(64));
    expect(await sha256File(file)).toBe(sha256(bytes));
  });
});
