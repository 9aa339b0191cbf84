// A copy of a test fixture folder that another user can read: the checkout (and its .cache) may sit
// under a directory other users cannot enter (a clone in /root), while the tests run code as an
// ordinary user.
import { cpSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { basename, join } from 'node:path';

/** Copies `dir` into `parent` (which others can enter) as `parent/<name>`, readable by all; returns the copy's path. */
export function readableCopy(dir, parent, name = basename(dir)) {
  const copy = join(parent, name);
  cpSync(dir, copy, { recursive: true, verbatimSymlinks: true });
  execFileSync('chmod', ['-R', 'a+rX', copy]);
  return copy;
}
