import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDistroforgeError } from '@distroforge/core';
import { extractRpm, readRpm, verifyRpm, type RpmError } from '@distroforge/rpm-extract';
import { buildFixtures } from './build-rpm.js';
import { prng } from './prng.js';

let work: string;
let outside: string;
let evil: Buffer;
let fixtures: Record<string, string>;

/** Symlink /opt/e/aln -> a directory outside the target, and a directory /opt/e/zdr/ with a file. */
const evilSpec = (outsideDir: string) => `
Name: df-evil
Version: 1
Release: 1
Summary: path-safety fixture
License: MIT
BuildArch: noarch
%description
Fixture.
%install
mkdir -p %{buildroot}/opt/e/zdr
ln -s ${outsideDir} %{buildroot}/opt/e/aln
printf 'pwned\\n' > %{buildroot}/opt/e/zdr/pwned
%files
/opt/e
`;

/** Replaces every occurrence of `from` with `to` (same length) in the package bytes. */
function patch(bytes: Buffer, from: string, to: string): Buffer {
  expect(Buffer.byteLength(from)).toBe(Buffer.byteLength(to));
  const out = Buffer.from(bytes);
  const needle = Buffer.from(from);
  let at = out.indexOf(needle);
  expect(at).toBeGreaterThanOrEqual(0);
  while (at >= 0) {
    Buffer.from(to).copy(out, at);
    at = out.indexOf(needle, at + 1);
  }
  return out;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rpm-extract-safety-'));
  outside = join(work, 'outside');
  await mkdir(outside);
  const built = await buildFixtures(join(work, 'evil-top'), ['identity'], evilSpec(outside));
  evil = readFileSync(built.identity!);
  fixtures = await buildFixtures(join(work, 'top'), ['gzip', 'zstd', 'identity']);
}, 300_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('path safety', () => {
  it('the unpatched fixture extracts (control)', async () => {
    const target = join(work, 'control');
    await extractRpm(evil, target);
    expect(readFileSync(join(target, 'opt/e/zdr/pwned'), 'utf8')).toBe('pwned\n');
    expect(await readdir(outside)).toEqual([]);
  });

  it('refuses a path with .. components (ERR_RPM_UNSAFE_PATH), writes nothing', async () => {
    const bad = patch(evil, 'opt/e/zdr/', '../../zdr/');
    const target = join(work, 'dotdot');
    const error = await extractRpm(bad, target, { verify: false }).catch((e: unknown) => e);
    expect((error as RpmError).code).toBe('ERR_RPM_UNSAFE_PATH');
    expect(existsSync(target)).toBe(false);
    expect(existsSync(join(work, 'zdr'))).toBe(false);
  });

  it('refuses to write through a symlink the package created (absolute target outside)', async () => {
    const bad = patch(evil, 'e/zdr/', 'e/aln/');
    const target = join(work, 'through-symlink');
    const error = await extractRpm(bad, target, { verify: false }).catch((e: unknown) => e);
    expect((error as RpmError).code).toBe('ERR_RPM_UNSAFE_PATH');
    expect(await readdir(outside)).toEqual([]);
    expect(existsSync(target)).toBe(false);
  });

  it('with verify on, the same tampering is caught as a digest mismatch first', async () => {
    const bad = patch(evil, 'e/zdr/', 'e/aln/');
    const error = await extractRpm(bad, join(work, 'tampered')).catch((e: unknown) => e);
    expect((error as RpmError).code).toBe('ERR_RPM_DIGEST_MISMATCH');
    expect((await verifyRpm(bad)).ok).toBe(false);
  });

  it('names what is wrong: bad magic, truncation', async () => {
    const notRpm = await readRpm(Buffer.alloc(4096, 'not an rpm ')).catch((e: unknown) => e);
    expect((notRpm as RpmError).code).toBe('ERR_RPM_BAD_MAGIC');
    const truncated = await readRpm(evil.subarray(0, 200)).catch((e: unknown) => e);
    expect((truncated as RpmError).code).toBe('ERR_RPM_TRUNCATED');
    const missing = await readRpm(join(work, 'no-such.rpm')).catch((e: unknown) => e);
    expect((missing as RpmError).code).toBe('ERR_RPM_READ');
  });

  it('a source stream that fails inside a gzip payload is a read error (ERR_RPM_READ), not a corrupt payload, and leaves no target', async () => {
    const bytes = readFileSync(fixtures.gzip!);
    const payloadAt = (await readRpm(bytes)).payloadOffset;
    async function* failing() {
      yield bytes.subarray(0, payloadAt + 64);
      throw new Error('device went away');
    }
    const target = join(work, 'failing-stream');
    const error = await extractRpm(failing(), target).catch((e: unknown) => e);
    expect((error as RpmError).code).toBe('ERR_RPM_READ');
    expect((error as RpmError).message).toContain('device went away');
    expect(existsSync(target)).toBe(false);
  });
});

describe('mutation: corrupt and truncated packages fail typed and never write outside the target', () => {
  const perPackage = 30;
  for (const compressor of ['gzip', 'zstd', 'identity'] as const) {
    it(`${perPackage} seeded mutations of the ${compressor} fixture`, async () => {
      const original = readFileSync(fixtures[compressor]!);
      const random = prng(0x5eed + compressor.length);
      const sandbox = join(work, `mutations-${compressor}`);
      await mkdir(sandbox);
      const outcomes = { ok: 0, typed: 0 };
      for (let round = 0; round < perPackage; round++) {
        let mutated: Buffer;
        if (round % 4 === 3) {
          mutated = original.subarray(0, Math.floor(random() * original.length));
        } else {
          mutated = Buffer.from(original);
          const flips = 1 + Math.floor(random() * 4);
          for (let i = 0; i < flips; i++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
        }
        for (const verify of [true, false]) {
          const target = join(sandbox, `t${round}-${verify}`);
          const attempts = [
            () => readRpm(mutated),
            () => verifyRpm(mutated),
            () => extractRpm(mutated, target, { verify }),
          ];
          for (const attempt of attempts) {
            try {
              await attempt();
              outcomes.ok++;
            } catch (error) {
              if (!isDistroforgeError(error))
                throw new Error(`round ${round} (verify ${verify}): untyped ${String(error)}`, { cause: error });
              outcomes.typed++;
            }
          }
        }
        // Only the targets themselves may appear in the sandbox; nothing beside or above them.
        const names = await readdir(sandbox);
        expect(
          names.every((n) => /^t\d+-(true|false)$/.test(n)),
          names.join(','),
        ).toBe(true);
        expect(await readdir(work)).not.toContain('zdr');
      }
      expect(outcomes.typed).toBeGreaterThan(0);
    });
  }
});
