import { execFileSync } from 'node:child_process';

/** `name version` of every package dpkg in `root` knows, sorted: what two roots are compared by. Needs root (chroot). */
export const dpkgPackageSet = (root) =>
  execFileSync('chroot', [root, 'dpkg-query', '-W', '-f=${Package} ${Version}\\n'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .sort();
