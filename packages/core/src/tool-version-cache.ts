import { fileStamp } from './file-stamp.js';
import { PersistedMap } from './persisted-map.js';

const versions = new PersistedMap((value): value is string => typeof value === 'string');

/**
 * Remembers what tools print for their version in `path` (JSON), so a later process skips
 * running them: `findTool` spawns each tool once per process, and a build of a live image checks
 * a dozen (20 to 50 ms each, several on its critical path). An entry is keyed on the executable's
 * fileStamp (path, device, inode, size, mtime, ctime) and the version arguments, so an upgraded
 * or replaced tool is run again. `undefined` turns it off (the default).
 */
export function useToolVersionCache(path: string | undefined): void {
  versions.use(path);
}

/** The tool's version output from the cache, or `run()`'s (then remembered). */
export async function cachedVersionOutput(
  path: string,
  args: readonly string[],
  run: () => Promise<string>,
): Promise<string> {
  if (!versions.enabled) return run();
  const key = await fileStamp(path).then(
    (stamp) => JSON.stringify([stamp, args]),
    () => undefined,
  );
  if (key === undefined) return run();
  const hit = await versions.get(key);
  if (hit !== undefined) return hit;
  const output = await run();
  await versions.set(key, output);
  return output;
}
