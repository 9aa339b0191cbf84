import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where every package keeps what it caches across runs: `$XDG_CACHE_HOME/distroforge`, else `~/.cache/distroforge`. */
export function distroforgeCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'distroforge');
}
