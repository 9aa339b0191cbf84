import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileStamp } from './file-stamp.js';
import { writeAtomically } from './write-atomically.js';

/** Entries kept; past this the file starts over (tools replaced many times over leave old ones). */
const MAX_ENTRIES = 256;

let file: string | undefined;
let entries: Promise<Map<string, string>> | undefined;

/**
 * Remembers what tools print for their version in `path` (JSON), so a later process skips
 * running them: `findTool` spawns each tool once per process, and a build of a live image checks
 * a dozen (20 to 50 ms each, several on its critical path). An entry is keyed on the executable's
 * fileStamp (path, device, inode, size, mtime, ctime) and the version arguments, so an upgraded
 * or replaced tool is run again. `undefined` turns it off (the default).
 */
export function useToolVersionCache(path: string | undefined): void {
  file = path;
  entries = undefined;
}

/** The tool's version output from the cache, or `run()`'s (then remembered). */
export async function cachedVersionOutput(path: string, args: readonly string[], run: () => Promise<string>): Promise<string> {
  const target = file;
  if (target === undefined) return run();
  const key = await fileStamp(path).then((stamp) => JSON.stringify([stamp, args]), () => undefined);
  if (key === undefined) return run();
  const known = await (entries ??= load(target));
  const hit = known.get(key);
  if (hit !== undefined) return hit;
  const output = await run();
  if (known.size >= MAX_ENTRIES) known.clear();
  known.set(key, output);
  // A cache: if it cannot be written, the tool is simply run again next time.
  await save(target, known).catch(() => undefined);
  return output;
}

async function load(path: string): Promise<Map<string, string>> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as { format?: number; entries?: Record<string, unknown> };
    if (parsed.format !== 1 || typeof parsed.entries !== 'object' || parsed.entries === null) return new Map();
    return new Map(Object.entries(parsed.entries).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return new Map();
  }
}

async function save(path: string, known: Map<string, string>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeAtomically(path, (temp) => writeFile(temp, `${JSON.stringify({ format: 1, entries: Object.fromEntries(known) })}\n`));
}
