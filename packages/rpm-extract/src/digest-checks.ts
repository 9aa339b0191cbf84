import { createHash, type Hash } from 'node:crypto';
import type { PackageHeaders } from './read-package-headers.js';
import type { RpmPackage } from './types.js';
import { newHash } from './walk-payload.js';

/** One digest comparison, as `rpm -Kv` reports it. */
export interface DigestCheck {
  /** `header-sha256`, `header-sha1`, `payload-sha256`, `md5`, `size`, `files`, `payload`. */
  name: string;
  ok: boolean;
  expected: string;
  actual: string;
}

/** Checks the header digests the signature header records (cheap: the header is in memory). */
export function headerChecks(headers: PackageHeaders, pkg: RpmPackage): DigestCheck[] {
  const checks: DigestCheck[] = [];
  const raw = headers.header.raw;
  if (pkg.digests.headerSha256)
    checks.push(compare('header-sha256', pkg.digests.headerSha256, createHash('sha256').update(raw).digest('hex')));
  if (pkg.digests.headerSha1)
    checks.push(compare('header-sha1', pkg.digests.headerSha1, createHash('sha1').update(raw).digest('hex')));
  return checks;
}

/** Hashes fed with the compressed payload as it streams; `finish` compares them with the package's. */
export class PayloadDigests {
  readonly payloadHash: Hash | undefined;
  private readonly md5: Hash | undefined;
  private bytes = 0;

  constructor(
    private readonly headers: PackageHeaders,
    private readonly pkg: RpmPackage,
    withMd5: boolean,
  ) {
    this.payloadHash = pkg.payload.digest ? newHash(pkg.payload.digest.algorithm) : undefined;
    this.md5 = withMd5 && pkg.digests.md5 ? createHash('md5').update(headers.header.raw) : undefined;
  }

  update(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.payloadHash?.update(chunk);
    this.md5?.update(chunk);
  }

  finish(): DigestCheck[] {
    const checks: DigestCheck[] = [];
    const { payload, digests } = this.pkg;
    if (payload.digest && this.payloadHash)
      checks.push(compare(`payload-${payload.digest.algorithm}`, payload.digest.value, this.payloadHash.digest('hex')));
    if (digests.md5 && this.md5) checks.push(compare('md5', digests.md5, this.md5.digest('hex')));
    if (digests.size !== undefined)
      checks.push(compare('size', String(digests.size), String(this.headers.header.raw.length + this.bytes)));
    return checks;
  }
}

function compare(name: string, expected: string, actual: string): DigestCheck {
  return { name, ok: expected.toLowerCase() === actual.toLowerCase(), expected, actual };
}
