// An ordinary (non-root) user with a subordinate id range, for tests of rootless paths. As root, the
// test machine gets one once (`useradd` + `usermod --add-subuids`); as anyone else, that user is the
// caller itself. Runs commands as that user with setpriv (util-linux), environment reset.
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';

export const ORDINARY_USER = 'distroforge-test';
const RANGE = 65536;

/** The user (created when needed, as root) and the command prefix that runs a program as it. */
export async function ordinaryUser() {
  if (process.getuid() !== 0) {
    const info = userInfo();
    return { name: info.username, uid: info.uid, gid: info.gid, home: info.homedir, prefix: [] };
  }
  let entry = await passwdEntry(ORDINARY_USER);
  if (!entry) {
    await execa('useradd', ['--create-home', '--shell', '/bin/sh', '--user-group', ORDINARY_USER], { reject: false });
    entry = await passwdEntry(ORDINARY_USER);
    if (!entry) throw new Error(`useradd ${ORDINARY_USER} failed`);
  }
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    const lines = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    if (lines.some((l) => l.startsWith(`${ORDINARY_USER}:`) && Number(l.split(':')[2]) >= RANGE)) continue;
    // After every range already granted, so no two users share ids.
    const end = Math.max(
      100000,
      ...lines.map((l) => Number(l.split(':')[1]) + Number(l.split(':')[2])).filter(Number.isFinite),
    );
    const flag = file === '/etc/subuid' ? '--add-subuids' : '--add-subgids';
    await execa('usermod', [flag, `${end}-${end + RANGE - 1}`, ORDINARY_USER]);
  }
  return { ...entry, prefix: asUser(entry) };
}

/** setpriv's prefix that runs a program as `user` (uid, gid, its groups), HOME set to its home. */
export function asUser(user) {
  return ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--reset-env'];
}

async function passwdEntry(name) {
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const [, , uid, gid, , home] = line.split(':');
  return { name, uid: Number(uid), gid: Number(gid), home };
}
