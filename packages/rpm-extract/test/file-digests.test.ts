import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractRpm, RpmError, verifyRpm } from '@distroforge/rpm-extract';
import { main } from '../src/cli-main.js';
import { craftRpm, defaultMembers, S_IFDIR, S_IFREG, type CraftedFile } from './crafted-rpm.js';

// A package whose header and payload digests are consistent but whose payload does not hold what
// the header says of its files: extraction refuses it and --verify reports it, naming the file.

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rpm-extract-digests-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function cliVerify(rpm: Buffer, name: string): Promise<{ code: number; out: string }> {
  const file = join(work, `${name}.rpm`);
  writeFileSync(file, rpm);
  let out = '';
  const code = await main(
    [file, '--verify'],
    (s) => void (out += s),
    () => undefined,
  );
  return { code, out };
}

describe('a file whose contents do not match the header digest', () => {
  const files = (algorithm: string): CraftedFile[] => [
    { path: '/opt/d', mode: S_IFDIR | 0o755 },
    { path: '/opt/d/good', mode: S_IFREG | 0o644, data: 'good\n' },
    // The digest of other contents, in the header's algorithm.
    {
      path: '/opt/d/lying',
      mode: S_IFREG | 0o644,
      data: 'evil\n',
      digest: algorithm === 'md5' ? 'd'.repeat(32) : 'd'.repeat(64),
    },
  ];
  const cases = ['md5', 'sha256'].flatMap((algorithm) =>
    [true, false].map((payloadDigest) => ({ algorithm: algorithm as 'md5' | 'sha256', payloadDigest })),
  );

  it.each(cases)(
    '$algorithm file digests, payload digest $payloadDigest: default extraction refuses it naming the file, verify reports it',
    async ({ algorithm, payloadDigest }) => {
      const rpm = await craftRpm({ files: files(algorithm), digestAlgorithm: algorithm, payloadDigest });
      const target = join(work, `lying-${algorithm}-${payloadDigest}`);
      const error = await extractRpm(rpm, target).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RpmError);
      expect((error as RpmError).code).toBe('ERR_RPM_DIGEST_MISMATCH');
      expect((error as RpmError).message).toMatch(/^\/opt\/d\/lying: contents digest/);
      expect(existsSync(target)).toBe(false);

      const verdict = await verifyRpm(rpm);
      expect(verdict.ok).toBe(false);
      expect(verdict.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['file:/opt/d/lying', 'files']);
      const { code, out } = await cliVerify(rpm, `lying-${algorithm}-${payloadDigest}`);
      expect(code).toBe(1);
      expect(out).toMatch(/^file:\/opt\/d\/lying: BAD/m);
    },
  );

  it('the same package with the right digest extracts (control)', async () => {
    const honest = files('sha256').map((f) => ({ ...f, digest: undefined }));
    const target = join(work, 'honest');
    await extractRpm(await craftRpm({ files: honest }), target);
    expect(readFileSync(join(target, 'opt/d/lying'), 'utf8')).toBe('evil\n');
  });
});

describe('a file the header lists but the payload lacks', () => {
  const listed: CraftedFile[] = [
    { path: '/opt/d', mode: S_IFDIR | 0o755 },
    { path: '/opt/d/here', mode: S_IFREG | 0o644, data: 'here\n' },
    { path: '/opt/d/absent', mode: S_IFREG | 0o644, data: 'absent\n' },
    { path: '/opt/d/ghost', mode: S_IFREG | 0o644, data: '', ghost: true },
  ];
  const without = (names: string[]) => defaultMembers(listed).filter((m) => !names.includes(m.name));

  it('verify fails naming it (exit 1), extraction refuses it (ERR_RPM_BAD_PAYLOAD)', async () => {
    const rpm = await craftRpm({ files: listed, members: without(['./opt/d/absent']) });
    const verdict = await verifyRpm(rpm);
    expect(verdict.ok).toBe(false);
    expect(verdict.checks.find((c) => c.name === 'file:/opt/d/absent')).toMatchObject({ ok: false, actual: 'missing' });
    expect(verdict.checks.find((c) => c.name === 'files')?.actual).toMatch(/1 missing from the payload/);
    const { code, out } = await cliVerify(rpm, 'absent');
    expect(code).toBe(1);
    expect(out).toMatch(/^file:\/opt\/d\/absent: BAD \(expected in the payload, got missing\)/m);
    const error = await extractRpm(rpm, join(work, 'absent')).catch((e: unknown) => e);
    expect((error as RpmError).code).toBe('ERR_RPM_BAD_PAYLOAD');
    expect((error as RpmError).value).toBe('/opt/d/absent');
  });

  it('a %ghost, a directory, or a hard link whose set arrived may be absent: verify passes and extraction creates them (control)', async () => {
    const files: CraftedFile[] = [
      ...listed.filter((f) => f.path !== '/opt/d/absent'),
      { path: '/opt/d/link1', mode: S_IFREG | 0o644, data: 'x\n', inode: 50 },
      { path: '/opt/d/link2', mode: S_IFREG | 0o644, data: 'x\n', inode: 50 },
    ];
    const members = defaultMembers(files).filter((m) => m.name !== './opt/d' && m.name !== './opt/d/link1');
    const rpm = await craftRpm({ files, members });
    expect((await verifyRpm(rpm)).ok).toBe(true);
    const target = join(work, 'absent-ok');
    await extractRpm(rpm, target);
    expect(readFileSync(join(target, 'opt/d/link1'), 'utf8')).toBe('x\n');
    expect(existsSync(join(target, 'opt/d/ghost'))).toBe(false);
  });
});
