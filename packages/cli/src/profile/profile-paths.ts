import { join, resolve } from 'node:path';

/** Where a profile's build state (stage cache) and outputs live. */
export interface ProfilePaths {
  profileDir: string;
  stateDir: string;
  outDir: string;
}

export function profilePaths(profileDir: string, options: { out?: string; state?: string } = {}): ProfilePaths {
  const dir = resolve(profileDir);
  return {
    profileDir: dir,
    stateDir: resolve(options.state ?? join(dir, '.distroforge')),
    outDir: resolve(options.out ?? join(dir, 'out')),
  };
}
