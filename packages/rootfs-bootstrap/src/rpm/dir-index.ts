import { writeAtomically } from '@distroforge/core';
import { readRpm } from '@distroforge/rpm-extract';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RpmSourceError } from '../errors.js';
import { sha256File } from '@distroforge/core';
import { rpmCandidateFromHeader, type RpmCandidate } from './candidate.js';

/** Bump when the cached candidate shape changes. */
const CACHE_FORMAT = 1;

interface CachedEntry {
  size: number;
  mtimeMs: number;
  /** Header SHA-256 from the package's signature header: a changed package with equal size and mtime still differs here. */
  headerSha256: string;
  candidate: RpmCandidate;
}

/**
 * Indexes a folder tree of `.rpm` files (e.g. a Rocky ISO's `BaseOS/Packages`) from their headers
 * alone (`readRpm` reads no payload). The index is cached in `<cacheDir>/rpm-index/` per folder and
 * reused per file while its size and mtime are unchanged, so a second run reads no package;
 * extraction verifies the header and payload digests anyway. Source packages are skipped.
 */
export async function indexRpmDirectory(
  dir: string,
  options: { cacheDir: string; origin: string },
): Promise<RpmCandidate[]> {
  const root = resolve(dir);
  const rootStats = await stat(root).catch(() => undefined);
  if (!rootStats?.isDirectory()) {
    throw new RpmSourceError(`${root} is not a directory of .rpm files`, {
      path: root,
      hint: 'pass rpm-dir:PATH with the folder holding the packages',
    });
  }
  const cacheFile = join(
    options.cacheDir,
    'rpm-index',
    `${createHash('sha256').update(root).digest('hex').slice(0, 32)}.json`,
  );
  const cached = await readCache(cacheFile);
  const files = (await readdir(root, { recursive: true }))
    .filter((f) => f.endsWith('.rpm') && !f.endsWith('.src.rpm'))
    .sort();
  const fresh: Record<string, CachedEntry> = {};
  let changed = false;
  for (const name of files) {
    const path = join(root, name);
    const stats = await stat(path);
    if (!stats.isFile()) continue;
    const key = relative(root, path);
    const hit = cached[key];
    if (hit && hit.size === stats.size && hit.mtimeMs === stats.mtimeMs) {
      fresh[key] = hit;
      continue;
    }
    const pkg = await readRpm(path);
    if (pkg.isSource) continue;
    const candidate = rpmCandidateFromHeader(pkg, {
      location: pathToFileURL(path).href,
      sha256: await sha256File(path),
      size: stats.size,
      origin: options.origin,
    });
    fresh[key] = { size: stats.size, mtimeMs: stats.mtimeMs, headerSha256: pkg.digests.headerSha256 ?? '', candidate };
    changed = true;
  }
  if (changed || Object.keys(cached).length !== Object.keys(fresh).length) {
    await mkdir(join(options.cacheDir, 'rpm-index'), { recursive: true });
    await writeAtomically(cacheFile, (tmp) =>
      writeFile(tmp, JSON.stringify({ format: CACHE_FORMAT, root, entries: fresh })),
    );
  }
  return Object.keys(fresh)
    .sort()
    .map((k) => fresh[k]!.candidate);
}

async function readCache(file: string): Promise<Record<string, CachedEntry>> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as { format?: number; entries?: Record<string, CachedEntry> };
    return data.format === CACHE_FORMAT && data.entries ? data.entries : {};
  } catch {
    return {}; // missing or unreadable: index again
  }
}
