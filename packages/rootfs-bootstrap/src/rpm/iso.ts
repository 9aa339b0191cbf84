import { findTool, knownTools, ToolFailedError, writeAtomically } from '@distroforge/core';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RpmSourceError } from '../errors.js';

/**
 * Copies the folders of an ISO image that hold `.rpm` files (e.g. `/Minimal/Packages`,
 * `/BaseOS/Packages`) and its comps files (`*comps*.xml`, package groups) out of it with xorriso, the tool the project already uses for ISOs, into
 * `<cacheDir>/rpm-iso/<key>` (key: path, size and mtime of the image); returns that folder.
 * Extracted once, atomically; later runs reuse it.
 */
export async function extractIsoPackages(
  iso: string,
  options: { cacheDir: string; signal?: AbortSignal },
): Promise<string> {
  const image = resolve(iso);
  const stats = await stat(image).catch(() => undefined);
  if (!stats?.isFile())
    throw new RpmSourceError(`${image} is not an ISO file`, { path: image, hint: 'pass rpm-iso:PATH to an ISO image' });
  // v2: comps files are copied out too.
  const key = createHash('sha256').update(`v2\0${image}\0${stats.size}\0${stats.mtimeMs}`).digest('hex').slice(0, 32);
  const dir = join(options.cacheDir, 'rpm-iso', key);
  if (await stat(join(dir, '.complete')).catch(() => undefined)) return dir;
  const xorriso = await findTool(knownTools.xorriso);
  const run = async (args: string[]) => {
    const argv = [xorriso.path, '-osirrox', 'on', '-indev', image, ...args];
    const result = await execa(argv[0]!, argv.slice(1), {
      reject: false,
      timeout: 30 * 60_000,
      ...(options.signal ? { cancelSignal: options.signal } : {}),
    });
    if (result.exitCode !== 0)
      throw new ToolFailedError(argv, result.exitCode ?? -1, `${result.stderr}`.slice(-2000), { path: image });
    return result.stdout;
  };
  // `-find` prints one quoted path per line; only the folders with packages are copied out.
  const listing = await run(['-find', '/', '-type', 'f', '-name', '*.rpm']);
  const folders = [
    ...new Set(
      listing
        .split('\n')
        .map((l) => l.trim().replace(/^'|'$/g, ''))
        .filter((p) => p.endsWith('.rpm'))
        .map((p) => p.slice(0, p.lastIndexOf('/')) || '/'),
    ),
  ].sort();
  if (folders.length === 0)
    throw new RpmSourceError(`${image} holds no .rpm files`, {
      path: image,
      hint: 'use a Rocky/Alma/Fedora installation ISO',
    });
  // Package groups: `*comps*.xml` files (an ISO's repodata holds them), for `@group` includes.
  const comps = (await run(['-find', '/', '-type', 'f', '-name', '*comps*.xml*']))
    .split('\n')
    .map((l) => l.trim().replace(/^'|'$/g, ''))
    .filter((p) => /comps[^/]*\.xml/.test(p) && !folders.some((f) => p.startsWith(f === '/' ? '/' : `${f}/`)))
    .sort();
  await mkdir(join(options.cacheDir, 'rpm-iso'), { recursive: true });
  await writeAtomically(dir, async (tmp) => {
    await mkdir(tmp);
    await run([...folders, ...comps].flatMap((f) => ['-extract', f, join(tmp, f)]));
    await execa('chmod', ['-R', 'u+w', tmp]); // ISO files are read-only; the cache must stay removable
    await mkdir(join(tmp, '.complete'));
  });
  return dir;
}
