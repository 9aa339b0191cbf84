import { access, constants } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { ToolMissingError, ToolVersionError } from './errors.js';
import { cachedVersionOutput } from './tool-version-cache.js';

/** How to find one external tool and tell its version. */
export interface ToolSpec {
  /** Executable name(s), tried in order (e.g. `['qemu-system-x86_64']`). */
  names: readonly string[];
  /** The command that installs it on Debian/Ubuntu, shown when it is missing. */
  install?: string;
  /** Arguments that print the version (default `['--version']`). */
  versionArgs?: readonly string[];
  /** Pulls the version out of the tool's output (default: the first `N.N[.N]`). */
  parseVersion?: (output: string) => string | undefined;
  /** Oldest acceptable version, compared numerically per component. */
  minVersion?: string;
  /** Extra directories to search besides PATH (e.g. /usr/sbin, /sbin for mkfs tools). */
  extraDirs?: readonly string[];
}

export interface FoundTool {
  name: string;
  path: string;
  /** The parsed version, or `unknown` when the tool would not tell. */
  version: string;
}

const cache = new Map<string, Promise<FoundTool>>();

/** Finds a tool once per process (cached), checks its version, explains what to do if missing. */
export function findTool(spec: ToolSpec): Promise<FoundTool> {
  const key = JSON.stringify([spec.names, spec.minVersion, process.env.PATH]);
  let found = cache.get(key);
  if (!found) {
    found = locate(spec);
    found.catch(() => cache.delete(key));
    cache.set(key, found);
  }
  return found;
}

/** Forgets every tool found so far (tests change PATH). */
export function clearToolCache(): void {
  cache.clear();
}

async function locate(spec: ToolSpec): Promise<FoundTool> {
  const primary = spec.names[0] ?? '';
  for (const name of spec.names) {
    const path = await which(name, spec.extraDirs ?? ['/usr/sbin', '/sbin']);
    if (!path) continue;
    const args = spec.versionArgs ?? ['--version'];
    const output = await cachedVersionOutput(path, args, () => versionOutput(path, args));
    const version = (spec.parseVersion ?? firstVersion)(output) ?? 'unknown';
    if (spec.minVersion && version !== 'unknown' && compareVersions(version, spec.minVersion) < 0) {
      throw new ToolVersionError(name, version, spec.minVersion, spec.install);
    }
    return { name, path, version };
  }
  throw new ToolMissingError(primary, spec.install);
}

/** Looks a command up on PATH (and in extra dirs) without running a shell. */
export async function which(name: string, extraDirs: readonly string[] = []): Promise<string | undefined> {
  if (isAbsolute(name)) return (await isExecutable(name)) ? name : undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function versionOutput(path: string, args: readonly string[]): Promise<string> {
  // Some tools print their version on stderr or exit non-zero for --version; take whatever they say.
  const { execa } = await import('execa'); // loaded on first use (startup cost of every command)
  const result = await execa(path, [...args], { reject: false, timeout: 10_000, stdin: 'ignore', maxBuffer: 1 << 20 });
  return `${String(result.stdout ?? '')}\n${String(result.stderr ?? '')}`;
}

function firstVersion(output: string): string | undefined {
  return /(\d+\.\d+(?:\.\d+)?)/.exec(output)?.[1];
}

/** Numeric, component-wise comparison of dotted versions (`4.5.1` < `4.6`). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
