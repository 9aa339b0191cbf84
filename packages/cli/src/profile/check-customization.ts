import { lstat, realpath, stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { SCRIPT_PHASES, phaseScripts } from './customization-schema.js';
import type { LoadedProfile } from './loaded-profile.js';
import { ProfileError } from '../errors.js';
import { profileKeyPosition } from './profile-key-position.js';

/** Tarball names `extraTrees` unpacks (tar picks the decompressor from the name). */
export const TARBALL_PATTERN = /\.(tar|tar\.gz|tgz|tar\.xz|txz|tar\.zst|tzst|tar\.bz2|tbz2)$/;

/**
 * Checks what `scripts:` and `extraTrees:` name before any work: each script an executable regular
 * file of the profile directory (a symlink may not lead out of it: the script would be a host
 * file), each input and tree source present. A `ProfileError` at the key's line otherwise.
 */
export async function checkCustomization(loaded: LoadedProfile): Promise<void> {
  const { profile } = loaded;
  for (const phase of SCRIPT_PHASES) {
    for (const [index, script] of phaseScripts(profile.scripts, phase).entries()) {
      const key = ['scripts', phase, String(index)];
      const file = await insideProfile(loaded, key, script.path);
      const info = await stat(file);
      if (!info.isFile())
        throw await keyError(
          loaded,
          key,
          `${script.path} is not a file`,
          'name an executable file of the profile directory, e.g. scripts/setup.sh',
        );
      if ((info.mode & 0o111) === 0)
        throw await keyError(
          loaded,
          key,
          `${script.path} is not executable (mode ${(info.mode & 0o7777).toString(8)})`,
          `chmod +x ${script.path} (and start it with #! and an interpreter the image has, e.g. #!/bin/sh)`,
        );
      for (const input of script.inputs) await insideProfile(loaded, [...key, 'inputs'], input);
    }
  }
  for (const [index, tree] of profile.extraTrees.entries()) {
    const key = ['extraTrees', String(index), 'from'];
    const from = await insideProfile(loaded, key, tree.from);
    const info = await lstat(from);
    if (!info.isDirectory() && !(info.isFile() && TARBALL_PATTERN.test(tree.from))) {
      throw await keyError(
        loaded,
        key,
        `${tree.from} is neither a folder nor a tarball`,
        'give a folder or a .tar, .tar.gz, .tar.xz, .tar.zst or .tar.bz2 file',
      );
    }
  }
}

/** The absolute path of a profile-relative path that exists and stays inside the profile directory. */
async function insideProfile(loaded: LoadedProfile, key: string[], given: string): Promise<string> {
  const path = resolve(loaded.dir, given);
  const real = await realpath(path).catch(() => undefined);
  if (real === undefined)
    throw await keyError(
      loaded,
      key,
      `${given}: no such file or folder (${path})`,
      'paths are relative to the profile directory',
    );
  const root = await realpath(loaded.dir);
  const rel = relative(root, real);
  if (rel === '..' || rel.startsWith(`..${sep}`))
    throw await keyError(
      loaded,
      key,
      `${given} leads out of the profile directory (to ${real})`,
      'copy the file into the profile directory: a link would bring a host file into the build',
    );
  return real;
}

async function keyError(loaded: LoadedProfile, key: string[], message: string, hint: string): Promise<ProfileError> {
  const pos = await profileKeyPosition(loaded, key);
  return new ProfileError(loaded.profileFile, pos?.line, pos?.col, key.join('.'), message, hint);
}
