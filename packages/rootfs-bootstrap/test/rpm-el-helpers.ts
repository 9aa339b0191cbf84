import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The oracle: `dnf --installroot` (Debian's dnf, the host's rpm running the scriptlets in a chroot,
 * so as root) installing `include` from the repository folder `repo` into a new root.
 */
export function dnfInstall(
  repo: string,
  include: string[],
): { dir: string; root: string; status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-dnf-el-'));
  const conf = join(dir, 'dnf.conf');
  writeFileSync(
    conf,
    `[main]\nreposdir=/dev/null\ncachedir=${join(dir, 'cache')}\n[df]\nname=df\nbaseurl=file://${repo}\ngpgcheck=0\n`,
  );
  const root = join(dir, 'root');
  // Debian's rpm keeps its database in ~/.rpmdb; the image's is /var/lib/rpm (EL's place).
  writeFileSync(join(dir, '.rpmmacros'), '%_dbpath /var/lib/rpm\n');
  const args = [
    '-c',
    conf,
    '--installroot',
    root,
    '--releasever',
    '1',
    '--forcearch',
    'x86_64',
    '-y',
    '--setopt=install_weak_deps=False',
    'install',
    ...include,
  ];
  const result = spawnSync('dnf', args, { encoding: 'utf8', timeout: 300_000, env: { ...process.env, HOME: dir } });
  return { dir, root, status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

/** The host's rpm on an image root (Debian's rpm defaults to ~/.rpmdb: the image's dbpath is given). */
export function rpmOn(root: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `name-version-release.arch` of every header, in the database's order (rpm's install order). */
export function installedInOrder(root: string): string[] {
  return rpmOn(root, ['-qa', '--qf', '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\\n']).stdout.split('\n').filter(Boolean);
}

/** The host's dnf reading an image root's rpmdb (`list installed`, `check`), with no repository. */
export function dnfOn(root: string, args: string[]): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-dnf-query-'));
  writeFileSync(join(dir, '.rpmmacros'), '%_dbpath /var/lib/rpm\n');
  writeFileSync(
    join(dir, 'dnf.conf'),
    `[main]\nreposdir=/dev/null\ncachedir=${join(dir, 'cache')}\npersistdir=${join(dir, 'persist')}\n`,
  );
  const result = spawnSync(
    'dnf',
    ['-q', '-c', join(dir, 'dnf.conf'), '--installroot', root, '--releasever', '1', '--forcearch', 'x86_64', ...args],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, HOME: dir } },
  );
  rmSync(dir, { recursive: true, force: true });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
