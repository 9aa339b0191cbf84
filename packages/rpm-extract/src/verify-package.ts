import { headerChecks, PayloadDigests, type DigestCheck } from './digest-checks.js';
import { RpmError } from './errors.js';
import { hardlinkSets } from './hardlink-sets.js';
import { missingMembers } from './missing-members.js';
import type { RpmSource } from './open-source.js';
import type { RpmPackage, RpmSignature } from './types.js';
import type { ParsedVerifyOptions } from './verify-options.js';
import { newHash, openPackage, walkPayload } from './walk-payload.js';

export interface VerifyResult {
  /** True when every check passed. */
  ok: boolean;
  checks: DigestCheck[];
  /** Signatures found (key id, algorithms); not cryptographically verified. */
  signatures: RpmSignature[];
  package: RpmPackage;
}

/**
 * Checks a package's digests: header SHA-256/SHA-1, payload digest, MD5 over header and payload,
 * the recorded size, and (unless `files: false`) every file's digest. A mismatch is reported in
 * the result, not thrown; an unreadable header still throws its typed error. `verifyRpm` with
 * validated options (no zod on this path).
 */
export async function verifyPackage(source: RpmSource, options: ParsedVerifyOptions): Promise<VerifyResult> {
  const opened = await openPackage(source);
  const { pkg, headers, reader } = opened;
  try {
    const checks = headerChecks(headers, pkg);
    const digests = new PayloadDigests(headers, pkg, true);
    const untap = reader.tap((chunk) => digests.update(chunk));
    try {
      if (options.files) checks.push(...(await fileChecks(opened)));
      for await (const chunk of reader.rest()) void chunk;
    } catch (error) {
      if (!(error instanceof RpmError)) throw error;
      checks.push({
        name: 'payload',
        ok: false,
        expected: 'a readable payload',
        actual: `${error.code}: ${error.message}`,
      });
      for await (const chunk of reader.rest()) void chunk;
    } finally {
      untap();
    }
    checks.push(...digests.finish());
    return { ok: checks.every((c) => c.ok), checks, signatures: pkg.signatures, package: pkg };
  } finally {
    await reader.close();
  }
}

/**
 * Every file's digest against its contents, and every file the header lists (not a ghost,
 * directory or hard link whose set arrived) present in the payload: extraction refuses both.
 */
async function fileChecks(opened: Awaited<ReturnType<typeof openPackage>>): Promise<DigestCheck[]> {
  const { pkg } = opened;
  const links = hardlinkSets(pkg.files);
  const bad: DigestCheck[] = [];
  const seen = new Set<number>();
  const filled = new Set<number[]>();
  let checked = 0;
  for await (const { index, file, entry } of walkPayload(opened)) {
    seen.add(index);
    if (file.type !== 'file') continue;
    const set = links.get(index);
    if (set && entry.size === 0 && file.size > 0) continue;
    if (set) filled.add(set);
    if (!file.digest) continue;
    const hash = newHash(pkg.fileDigestAlgorithm);
    for await (const chunk of entry.body) hash.update(chunk);
    const actual = hash.digest('hex');
    checked++;
    if (actual !== file.digest) bad.push({ name: `file:${file.path}`, ok: false, expected: file.digest, actual });
  }
  const mismatched = bad.length;
  for (const file of missingMembers(pkg.files, seen, links, filled))
    bad.push({ name: `file:${file.path}`, ok: false, expected: 'in the payload', actual: 'missing' });
  const missing = bad.length - mismatched;
  return [
    ...bad,
    {
      name: 'files',
      ok: bad.length === 0,
      expected: `${checked} file digests`,
      actual: `${checked - mismatched} matched${missing ? `, ${missing} missing from the payload` : ''}`,
    },
  ];
}
