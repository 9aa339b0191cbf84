import { writeAtomically } from '@distroforge/core';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { headerChecks, PayloadDigests, type DigestCheck } from './digest-checks.js';
import { rpmError } from './errors.js';
import type { ParsedExtractOptions } from './extract-options.js';
import { fileTree } from './file-tree.js';
import { materialize } from './materialize.js';
import { mergeInto } from './merge-into.js';
import type { RpmSource } from './open-source.js';
import type { RpmManifest } from './rpm-manifest.js';
import type { RpmPackage } from './types.js';
import { openPackage, walkPayload } from './walk-payload.js';

export interface ExtractResult {
  package: RpmPackage;
  /** The absolute target directory. */
  directory: string;
  filesWritten: number;
  bytesWritten: number;
  /** Owners and groups by name, modes, devices and capabilities (see toCoreManifest). */
  manifest: RpmManifest;
  /** Package paths that were not created on disk: ghosts, device nodes, fifos, sockets. */
  skipped: Array<{ path: string; reason: 'ghost' | 'device' | 'fifo' | 'socket' }>;
  /** The digests compared (all ok, or extraction would have failed); empty when verify is off. */
  checks: DigestCheck[];
}

/**
 * `extractRpm` with its options already validated and defaulted. Nothing on this path loads zod,
 * so the `rpm-extract` command starts in less time (see extract-rpm.ts for the behaviour).
 */
export async function extractPackage(
  source: RpmSource,
  directory: string,
  opts: ParsedExtractOptions,
): Promise<ExtractResult> {
  const target = resolve(directory);
  if (!opts.merge) await ensureFreshTarget(target);

  const opened = await openPackage(source);
  try {
    const { pkg, headers } = opened;
    const checks: DigestCheck[] = [];
    if (opts.verify) {
      checks.push(...headerChecks(headers, pkg));
      failOnMismatch(checks);
    }
    // Refused before anything is created: a path listed twice, below a symlink, or leaving the target.
    const rels = fileTree(pkg.files);
    const digests = new PayloadDigests(headers, pkg, opts.verify && !pkg.payload.digest);
    const produce = async (root: string) => {
      await mkdir(root, { recursive: true });
      const members = walkPayload(opened, opts.verify ? (chunk) => digests.update(chunk) : undefined);
      // File digests too, though the payload digest covers every byte: it proves the payload is
      // the one the header was signed with, not that its files are the ones the header describes.
      const written = await materialize(root, pkg, rels, members, {
        verify: opts.verify,
        preserveMtime: opts.preserveMtime,
        writerThreads: opts.writerThreads,
      });
      if (opts.verify) {
        const payloadChecks = digests.finish();
        failOnMismatch(payloadChecks);
        checks.push(...payloadChecks);
      }
      return written;
    };
    const written = opts.merge
      ? await stagedMerge(target, produce, opts.keepPartial)
      : await writeAtomically(target, produce, { keepPartial: opts.keepPartial });
    return {
      package: pkg,
      directory: target,
      filesWritten: written.filesWritten,
      bytesWritten: written.bytesWritten,
      manifest: { format: 'distroforge-rpm-manifest', version: 1, entries: written.manifest },
      skipped: written.skipped,
      checks,
    };
  } finally {
    await opened.reader.close();
  }
}

async function ensureFreshTarget(target: string): Promise<void> {
  const entries = await readdir(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw rpmError('ERR_RPM_TARGET_EXISTS', `${target} exists and is not a directory`, { path: target, cause: error });
  });
  if (entries.length > 0) throw rpmError('ERR_RPM_TARGET_EXISTS', `${target} is not empty`, { path: target });
}

async function stagedMerge<T>(target: string, produce: (root: string) => Promise<T>, keepPartial: boolean): Promise<T> {
  await mkdir(target, { recursive: true });
  const staging = join(target, `.rpm-extract-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const result = await produce(staging);
    await mergeInto(staging, target);
    await rm(staging, { recursive: true, force: true });
    return result;
  } catch (error) {
    if (!keepPartial) await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

function failOnMismatch(checks: DigestCheck[]): void {
  const bad = checks.find((c) => !c.ok);
  if (bad) {
    throw rpmError(
      'ERR_RPM_DIGEST_MISMATCH',
      `${bad.name} digest mismatch: expected ${bad.expected}, got ${bad.actual}`,
      { value: bad.name },
    );
  }
}
