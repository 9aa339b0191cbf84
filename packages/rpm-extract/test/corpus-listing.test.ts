import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { formatDumpLine, listRpm, readRpm } from '@distroforge/rpm-extract';
import { corpusDir, corpusPackages, expected, parseDump, parseHeaderFile } from './corpus.js';

describe('corpus: listing and header fields match rpm 4.18', () => {
  it('finds the corpus', () => {
    expect(corpusPackages.length).toBeGreaterThanOrEqual(20);
  });

  for (const name of corpusPackages) {
    it(`${name}: listRpm equals expected .dump field by field`, async () => {
      const pkg = await readRpm(join(corpusDir, name));
      const files = await listRpm(join(corpusDir, name));
      const want = parseDump(expected(name, 'dump')!);
      expect(files.length).toBe(want.length);
      files.forEach((file, i) => {
        const w = want[i]!;
        const digest = file.digest || '0'.repeat(w.digest.length);
        expect({
          path: file.path,
          size: file.size,
          mtime: file.mtime,
          digest,
          mode: `0${file.mode.toString(8)}`,
          user: file.user,
          group: file.group,
          config: file.config ? '1' : '0',
          doc: file.doc ? '1' : '0',
          rdev: String(file.rdev),
          link: file.linkTo || 'X',
        }).toEqual(w);
        expect(formatDumpLine(file, pkg.fileDigestAlgorithm)).toBe(expected(name, 'dump')!.split('\n')[i]);
      });
    });

    it(`${name}: size is LONGSIZE or SIZE`, async () => {
      const pkg = await readRpm(join(corpusDir, name));
      const longSize = (pkg.headerTags.get(5009)?.value as number[] | undefined)?.[0];
      const size = (pkg.headerTags.get(1009)?.value as number[] | undefined)?.[0];
      expect(pkg.size).toBe(longSize ?? size);
      expect(pkg.size).toBeTypeOf('number');
    });

    it(`${name}: readRpm header fields equal expected .header`, async () => {
      const pkg = await readRpm(join(corpusDir, name));
      const want = parseHeaderFile(expected(name, 'header')!);
      const none = (v: string | number | undefined) => (v === undefined ? '(none)' : String(v));
      const dep = (d: { name: string; comparison: string; version: string }) =>
        `${d.name} ${d.comparison} ${d.version}`;
      expect({
        name: [pkg.name],
        epoch: [none(pkg.epoch)],
        version: [pkg.version],
        release: [pkg.release],
        arch: [pkg.arch],
        payloadformat: [pkg.payload.format],
        payloadcompressor: [none(pkg.payload.compressor)],
        // rpm's %{SIZE} is the 32-bit tag only; large-file packages carry LONGSIZE instead.
        size: [none((pkg.headerTags.get(1009)?.value as number[] | undefined)?.[0])],
        requires: pkg.requires.map(dep),
        provides: pkg.provides.map(dep),
      }).toEqual({
        name: want.get('name'),
        epoch: want.get('epoch'),
        version: want.get('version'),
        release: want.get('release'),
        arch: want.get('arch'),
        payloadformat: want.get('payloadformat'),
        payloadcompressor: want.get('payloadcompressor'),
        size: want.get('size'),
        requires: want.get('requires') ?? [],
        provides: want.get('provides') ?? [],
      });
    });
  }
});

describe('header-only reading', () => {
  it('readRpm pulls no more than one small chunk past the headers', async () => {
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(join(corpusDir, 'hello-2.0-1.x86_64.rpm'));
    let pulled = 0;
    async function* trickle() {
      for (let at = 0; at < bytes.length; at += 64) {
        pulled += Math.min(64, bytes.length - at);
        yield bytes.subarray(at, at + 64);
      }
    }
    const pkg = await readRpm(trickle());
    expect(pulled).toBeLessThanOrEqual(pkg.payloadOffset + 64);
    expect(pkg.payloadOffset).toBeLessThan(bytes.length);
  });
});
