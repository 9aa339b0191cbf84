import { writeAtomically } from '@distroforge/core';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { headerChecks, PayloadDigests, type DigestCheck } from './digest-checks.js';
import { rpmError } from './errors.js';
import { materialize } from './materialize.js';
import { mergeInto } from './merge-into.js';
import type { RpmSource } from './open-source.js';
import type { RpmManifest } from './rpm-manifest.js';
import type { RpmPackage } from './types.js';
import { openPackage, walkPayload } from './walk-payload.js';

export const extractOptionsSchema = z
  .object({
    /** Check the header and payload digests while extracting (default true); nothing is kept on a mismatch. */
    verify: z.boolean().default(true),
    /**
     * Per-file digests while extracting (with `verify`). `auto` (default): only when the package has
     * no payload digest (rpm < 4.14); otherwise the payload digest, itself covered by the header
     * digest, already proves every byte and the tree is discarded on a mismatch. `always`: check too.
     */
    fileDigests: z.enum(['auto', 'always']).default('auto'),
    /** Add to an existing directory (a root filesystem being assembled) instead of creating it. */
    merge: z.boolean().default(false),
    /** Keep the half-written staging directory when extraction fails (for debugging; files not reached yet may be empty). */
    keepPartial: z.boolean().default(false),
    /** Give files and directories the package's mtimes (default true). */
    preserveMtime: z.boolean().default(true),
    /**
     * Worker threads that create the small files of packages with 200 or more. 0: none, all on
     * the calling thread. Unset (default): start on the calling thread and move to 2 threads only
     * if creating a file proves slow (journal-less ext4 reusing freed inodes, network file systems).
     */
    writerThreads: z.number().int().min(0).max(64).optional(),
  })
  .strict();

export type ExtractOptions = z.input<typeof extractOptionsSchema>;

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
 * Extracts a package into `directory`. Without `merge` the directory must not exist (or be empty):
 * the tree is written to a temporary sibling and renamed into place only when every digest
 * matched. With `merge` it is staged inside the directory and then moved into the existing tree,
 * following the tree's own symlinks (e.g. /lib -> usr/lib) as a chroot would.
 */
export async function extractRpm(source: RpmSource, directory: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  const parsed = extractOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw rpmError('ERR_RPM_OPTIONS_INVALID', `invalid extract option ${issue?.path.join('.')}: ${issue?.message}`, { value: issue?.path.join('.') });
  }
  const opts = parsed.data;
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
    const digests = new PayloadDigests(headers, pkg, opts.verify && !pkg.payload.digest);
    const produce = async (root: string) => {
      await mkdir(root, { recursive: true });
      const members = walkPayload(opened, opts.verify ? (chunk) => digests.update(chunk) : undefined);
      const verifyFiles = opts.verify && (opts.fileDigests === 'always' || !pkg.payload.digest);
      const written = await materialize(root, pkg, members, { verify: verifyFiles, preserveMtime: opts.preserveMtime, writerThreads: opts.writerThreads });
      if (opts.verify) {
        const payloadChecks = digests.finish();
        failOnMismatch(payloadChecks);
        checks.push(...payloadChecks);
      }
      return written;
    };
    const written = opts.merge ? await stagedMerge(target, produce, opts.keepPartial) : await writeAtomically(target, produce, { keepPartial: opts.keepPartial });
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
    throw rpmError('ERR_RPM_DIGEST_MISMATCH', `${bad.name} digest mismatch: expected ${bad.expected}, got ${bad.actual}`, { value: bad.name });
  }
}
