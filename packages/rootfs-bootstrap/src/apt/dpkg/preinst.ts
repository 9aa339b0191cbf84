import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageRootSession } from '@distroforge/core';
import type { UnpackedDebPackage } from './database.js';

const STAGING = 'var/lib/dpkg/tmp.ci.distroforge';

/**
 * Runs the `preinst install` scripts of freshly registered packages in the chroot, in the given
 * order, as `dpkg --unpack` does: from `/var/lib/dpkg/tmp.ci/` holding the package's whole control
 * area (debconf reads the package name and templates there), with dpkg's maintainer-script
 * environment (`DPKG_MAINTSCRIPT_*`, `DPKG_ROOT`, `DPKG_ADMINDIR`) and cwd `/`. One shell runs them
 * all (a chroot per script costs more than most scripts); the first failure stops it and names the
 * package in the log. Returns the packages whose preinst ran.
 */
export async function runPreinsts(
  root: string,
  chroot: ImageRootSession,
  packages: readonly UnpackedDebPackage[],
  dpkgVersion: string,
): Promise<string[]> {
  const withPreinst = packages.filter((p) => p.control.members.some((m) => m.name === 'preinst'));
  if (withPreinst.length === 0) return [];
  await rm(join(root, STAGING), { recursive: true, force: true });
  for (const [i, pkg] of withPreinst.entries()) {
    const dir = join(root, STAGING, String(i));
    await mkdir(dir, { recursive: true });
    for (const member of pkg.control.members)
      await writeFile(join(dir, member.name), member.data, { mode: member.mode });
  }
  const lines = [
    '#!/bin/sh',
    '# rootfs-bootstrap: the preinst scripts dpkg --unpack would have run',
    'cd /',
    `export DPKG_MAINTSCRIPT_PACKAGE_REFCOUNT=1 DPKG_MAINTSCRIPT_DEBUG=0 DPKG_RUNNING_VERSION=${quote(dpkgVersion)} DPKG_ADMINDIR=/var/lib/dpkg DPKG_ROOT=`,
    'run() {',
    '  echo "Running preinst install of $2 ..."',
    '  rm -rf /var/lib/dpkg/tmp.ci && mv "/' + STAGING + '/$1" /var/lib/dpkg/tmp.ci || exit 1',
    '  DPKG_MAINTSCRIPT_PACKAGE="$2" DPKG_MAINTSCRIPT_ARCH="$3" DPKG_MAINTSCRIPT_NAME=preinst /var/lib/dpkg/tmp.ci/preinst install || {',
    '    status=$?; echo "rootfs-bootstrap: preinst of $2 failed (exit status $status)" >&2; exit "$status"; }',
    '  rm -rf /var/lib/dpkg/tmp.ci',
    '}',
    ...withPreinst.map((p, i) => `run ${i} ${quote(p.name)} ${quote(p.architecture)}`),
    '',
  ];
  await writeFile(join(root, STAGING, 'run'), lines.join('\n'), { mode: 0o755 });
  try {
    await chroot.run(['/bin/sh', `/${STAGING}/run`]);
  } finally {
    await rm(join(root, STAGING), { recursive: true, force: true });
    await rm(join(root, 'var/lib/dpkg/tmp.ci'), { recursive: true, force: true });
  }
  return withPreinst.map((p) => p.name);
}

function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
