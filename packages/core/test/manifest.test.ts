import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  canonicalManifestPath,
  emptyManifest,
  manifestLookup,
  mergeManifest,
  readManifest,
  writeManifest,
} from '@distroforge/core';

describe('manifest', () => {
  it('merges per field, later wins, sorted by path, without mutating inputs', () => {
    const base = mergeManifest(emptyManifest(), [{ path: '/etc/shadow', uid: 0, gid: 42, mode: 0o640 }]);
    const frozen = JSON.stringify(base);
    const next = mergeManifest(base, [
      { path: 'dev/console', type: 'char', major: 5, minor: 1, mode: 0o600 },
      { path: '/etc/shadow/', mode: 0o600 },
      { path: '/', mode: 0o755 },
    ]);
    expect(JSON.stringify(base)).toBe(frozen);
    expect(next.entries.map((e) => e.path)).toEqual(['/', '/dev/console', '/etc/shadow']);
    expect(manifestLookup(next)('etc/shadow')).toEqual({ path: '/etc/shadow', uid: 0, gid: 42, mode: 0o600 });
  });

  it('rejects a device without numbers and out-of-range modes', () => {
    expect(() => mergeManifest(emptyManifest(), [{ path: '/dev/null', type: 'char' }])).toThrow(/major and minor/);
    expect(() => mergeManifest(emptyManifest(), [{ path: '/x', mode: 0o17777 }])).toThrow();
  });

  it('canonicalises paths', () => {
    expect(canonicalManifestPath('./a//b/')).toBe('/a/b');
    expect(canonicalManifestPath('/')).toBe('/');
    expect(canonicalManifestPath('a/../../b')).toBe('/b');
  });

  it('round-trips through a file and names the bad key of an invalid one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-manifest-'));
    const m = mergeManifest(emptyManifest(), [{ path: '/usr/bin/ping', caps: 'cap_net_raw=ep', mode: 0o755 }]);
    await writeManifest(join(dir, 'm.json'), m);
    expect(await readManifest(join(dir, 'm.json'))).toEqual(m);
    await writeFile(
      join(dir, 'bad.json'),
      JSON.stringify({ format: 'distroforge-manifest', version: 1, entries: [{ path: 'rel' }] }),
    );
    await expect(readManifest(join(dir, 'bad.json'))).rejects.toMatchObject({
      code: 'ERR_MANIFEST_INVALID',
      value: 'entries.0.path',
    });
    expect((await readFile(join(dir, 'm.json'), 'utf8')).split('\n')).toHaveLength(8);
  });
});
