import { existsSync } from 'node:fs';
import { CliError } from '../errors.js';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

import { resolveRootfs } from '@distroforge/rootfs-bootstrap';
import { locatingUnsatisfiable } from './locate-unsatisfiable.js';
import type { LoadedProfile } from '../profile/load-profile.js';
import { profileLocalPackages, rootfsIncludes } from './rootfs-common.js';
import { resolvePacmanProfile, withPacmanPlan } from './pacman-plan.js';

export const LOCK_FILE = 'distroforge.lock';

const lockedPackage = z
  .object({ name: z.string(), version: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })
  .strict();

/** An apt source's lock: the suite, variant and Releases it was resolved from. */
const aptLockSchema = z
  .object({
    format: z.literal('distroforge-lock'),
    version: z.literal(1),
    suite: z.string(),
    variant: z.string(),
    architecture: z.string(),
    /** The signed Release each suite was resolved from: a later resolution must not be older. */
    releases: z.array(z.object({ suite: z.string(), date: z.string().optional() }).strict()).optional(),
    packages: z.array(lockedPackage),
  })
  .strict();

/** A pacman source's lock: the repositories (in order) it was resolved from, each package's one. */
const pacmanLockSchema = z
  .object({
    format: z.literal('distroforge-lock'),
    version: z.literal(1),
    source: z.literal('pacman'),
    architecture: z.string(),
    repositories: z.array(z.string()),
    packages: z.array(lockedPackage.extend({ repository: z.string() }).strict()),
  })
  .strict();

const lockSchema = z.union([aptLockSchema, pacmanLockSchema]);

export type LockFile = z.infer<typeof lockSchema>;

/**
 * Resolves the profile's package set now (verified metadata, no install) as a lock file. `metadata`
 * gives the oldest Release dates accepted (an older one is ERR_BOOTSTRAP_METADATA_ROLLBACK).
 */
export async function resolveLock(
  loaded: LoadedProfile,
  metadata?: { minReleaseDates: Record<string, string>; allowReleaseRollback: boolean },
): Promise<LockFile> {
  const { profile } = loaded;
  // Local package files take part as in the build (and a kernel.file replaces the default kernel).
  if (profile.source.type === 'pacman' || profile.source.type === 'pacman-dir') {
    const local = await profileLocalPackages(loaded);
    return withPacmanPlan(loaded, profile.source, local, async (plan) => ({
      format: 'distroforge-lock',
      version: 1,
      source: 'pacman',
      architecture: plan.architecture,
      repositories: plan.repositories.map((r) => r.name),
      packages: (await resolvePacmanProfile(loaded, plan)).packages.map((p) => ({
        name: p.name,
        version: p.version,
        sha256: p.sha256,
        repository: p.repository,
      })),
    }));
  }
  if (profile.source.type !== 'apt') {
    throw new CliError(
      'ERR_SOURCE_UNSUPPORTED',
      `lock files are written for apt and pacman sources only (this profile uses ${profile.source.type})`,
      {
        value: profile.source.type,
        hint: 'use an apt or pacman source, or pin the RPM source (a fixed folder or ISO)',
      },
    );
  }
  const source = profile.source;
  const local = await profileLocalPackages(loaded);
  const result = await locatingUnsatisfiable(loaded, () =>
    resolveRootfs({
      suite: source.suite,
      variant: source.variant,
      include: rootfsIncludes(loaded),
      localPackages: local.files.map((f) => f.file),
      components: source.components,
      recommends: source.recommends,
      ...(source.mirror ? { mirrors: [source.mirror] } : {}),
      ...(source.keyring ? { keyring: source.keyring } : {}),
      ...(metadata ?? {}),
    }),
  );
  return {
    format: 'distroforge-lock',
    version: 1,
    suite: result.suite,
    variant: result.variant,
    architecture: result.architecture,
    releases: result.releases.map((r) => ({ suite: r.suite, ...(r.date === undefined ? {} : { date: r.date }) })),
    packages: result.packages.map((p) => ({ name: p.name, version: p.version, sha256: p.sha256 })),
  };
}

export async function writeLock(dir: string, lock: LockFile): Promise<string> {
  const file = join(dir, LOCK_FILE);
  const lines = lock.packages.map((p) => `    ${JSON.stringify(p)}`);
  const { packages: _packages, ...rest } = lock;
  const releases = 'releases' in lock ? lock.releases : undefined;
  // One line per Release, like the packages: a new mirror snapshot is a one-line diff.
  const head = { ...rest, ...(releases ? { releases: '@releases' } : {}) };
  const headText = JSON.stringify(head, null, 2).replace(
    '"@releases"',
    `[\n${(releases ?? []).map((r) => `    ${JSON.stringify(r)}`).join(',\n')}\n  ]`,
  );
  const text = `${headText.slice(0, -2)},\n  "packages": [\n${lines.join(',\n')}\n  ]\n}\n`;
  await writeFile(`${file}.partial`, text);
  await rename(`${file}.partial`, file);
  return file;
}

export async function readLock(dir: string): Promise<LockFile> {
  const file = join(dir, LOCK_FILE);
  if (!existsSync(file)) {
    throw new CliError('ERR_LOCK_MISSING', `no ${LOCK_FILE} in ${dir}`, {
      path: file,
      hint: `write one with: distroforge lock ${dir}`,
    });
  }
  const parsed = lockSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError('ERR_LOCK_INVALID', `${file}: ${issue?.path.join('.')}: ${issue?.message}`, {
      path: file,
      hint: 'regenerate it with distroforge lock',
    });
  }
  return parsed.data;
}

/** The lock file's Releases, if the profile has a valid apt one (for the metadata floor); none otherwise. */
export async function lockedReleases(dir: string): Promise<NonNullable<AptLockFile['releases']>> {
  if (!existsSync(join(dir, LOCK_FILE))) return [];
  const lock = await readLock(dir).catch(() => undefined);
  return lock && 'releases' in lock ? (lock.releases ?? []) : [];
}

type AptLockFile = z.infer<typeof aptLockSchema>;

/** What differs between a lock file and a fresh resolution, as readable lines (empty: identical). */
export function lockDifferences(locked: LockFile, now: LockFile): string[] {
  const before = new Map<string, { version: string; sha256: string }>(locked.packages.map((p) => [p.name, p]));
  const after = new Map<string, { version: string; sha256: string }>(now.packages.map((p) => [p.name, p]));
  const lines: string[] = [];
  for (const [name, p] of before) {
    const q = after.get(name);
    if (!q) lines.push(`- ${name} ${p.version} (no longer resolved)`);
    else if (q.version !== p.version || q.sha256 !== p.sha256)
      lines.push(`~ ${name} ${p.version} -> ${q.version}${q.version === p.version ? ' (different digest)' : ''}`);
  }
  for (const [name, q] of after) if (!before.has(name)) lines.push(`+ ${name} ${q.version} (new)`);
  const header = (lock: LockFile): Record<string, string> =>
    'source' in lock
      ? { source: lock.source, architecture: lock.architecture, repositories: lock.repositories.join(' ') }
      : { suite: lock.suite, variant: lock.variant, architecture: lock.architecture };
  const [was, is] = [header(locked), header(now)];
  for (const key of new Set([...Object.keys(was), ...Object.keys(is)]))
    if (was[key] !== is[key]) lines.push(`${key}: ${was[key] ?? '(none)'} -> ${is[key] ?? '(none)'}`);
  return lines.sort();
}

/**
 * For `build --locked`: fails with the difference when the profile no longer resolves to the lock.
 * `resolve` lets a build share one resolution between this check and its rootfs stage key.
 */
export async function assertLocked(
  loaded: LoadedProfile,
  resolve: () => Promise<LockFile> = () => resolveLock(loaded),
): Promise<void> {
  const locked = await readLock(loaded.dir);
  const diff = lockDifferences(locked, await resolve());
  if (diff.length) {
    throw new CliError('ERR_LOCK_MISMATCH', `the packages resolved now differ from ${LOCK_FILE}:\n${diff.join('\n')}`, {
      path: join(loaded.dir, LOCK_FILE),
      value: diff,
      hint: 'run distroforge lock to accept the new versions, or pin the mirror (e.g. snapshot.debian.org)',
    });
  }
}
