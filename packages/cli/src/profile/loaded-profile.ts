import type { Profile } from './profile-schema.js';

/** A profile as `loadProfile` returns it (its own file: the checks that take one need not import the loader). */
export interface LoadedProfile {
  dir: string;
  profileFile: string;
  profile: Profile;
  /** packages.txt merged with `packages:` of profile.yaml, sorted and unique. */
  packages: string[];
  /** The airootfs/ overlay directory, when present. */
  overlayDir: string | undefined;
}
