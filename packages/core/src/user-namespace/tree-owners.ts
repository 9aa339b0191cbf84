import { execa } from 'execa';
import { coreError } from '../errors.js';
import { findTool } from '../find-tool.js';
import { knownTools } from '../known-tools.js';
import { insideId } from './id-map.js';
import type { UserNamespace } from './prepare-user-namespace.js';
import { runInUserNamespace } from './run-in-user-namespace.js';

/** An owner (and mode) a path of a tree gets, as the image sees it. */
export interface TreeOwner {
  /** Relative to the tree's root, without a leading slash. */
  path: string;
  uid: number;
  gid: number;
  /** Permission bits to set after the chown (which clears setuid/setgid); not for symlinks. */
  mode?: number;
}

// Runs inside the namespace (root there): chown then chmod, as `chown` clears setuid/setgid bits.
// Paths arrive as JSON on stdin and are joined to the root argument; nothing is resolved through links.
const SET_OWNERS = `
const fs = require('node:fs'); const path = require('node:path');
const root = process.argv[1];
const owners = JSON.parse(fs.readFileSync(0, 'utf8'));
for (const o of owners) {
  const p = path.join(root, o.path);
  fs.lchownSync(p, o.uid, o.gid);
  if (o.mode !== undefined && !fs.lstatSync(p).isSymbolicLink()) fs.chmodSync(p, o.mode);
}`;

/**
 * Gives paths of `root` their owners as the image's programs should see them (e.g. before maintainer
 * scripts run: `/var/mail` group mail), by chown inside the namespace: on the host they become ids
 * of the user's subordinate range. `releaseOwners` undoes it.
 */
export async function assignOwners(ns: UserNamespace, root: string, owners: readonly TreeOwner[]): Promise<void> {
  for (const o of owners) {
    if (insideIdOk(o.uid) && insideIdOk(o.gid)) continue;
    throw coreError(
      'ERR_USERNS_ID_UNMAPPED',
      `${o.path}: owner ${o.uid}:${o.gid} is outside the namespace's ids 0..65535`,
      {
        path: o.path,
        value: `${o.uid}:${o.gid}`,
        hint: 'ids above 65535 cannot be represented in an image built in a user namespace',
      },
    );
  }
  if (owners.length === 0) return;
  const result = await runInUserNamespace(ns, [process.execPath, '-e', SET_OWNERS, root], {
    input: JSON.stringify(owners),
    isolateNetwork: true,
  });
  if (result.exitCode !== 0) {
    throw coreError(
      'ERR_USERNS_CHOWN',
      `could not set owners inside ${root}: ${result.stderr.trim().split('\n').slice(-3).join(' ')}`,
      { path: root },
    );
  }
}

/**
 * Makes every listed path (paths owned by ids other than the namespace's root) the invoking user's
 * again, keeping its mode, so later stages read and remove the tree without the namespace. The owners
 * seen before belong in the manifest: see `ownerAsSeenInside`.
 */
export async function releaseOwners(
  ns: UserNamespace,
  root: string,
  paths: readonly { path: string; mode?: number }[],
): Promise<void> {
  await assignOwners(
    ns,
    root,
    paths.map((p) => ({ path: p.path, uid: 0, gid: 0, ...(p.mode === undefined ? {} : { mode: p.mode }) })),
  );
}

/**
 * The owner a host file's ids are inside the namespace (the invoking user is 0), or undefined when
 * the namespace does not map them (a file nothing inside could have made).
 */
export function ownerAsSeenInside(
  ns: UserNamespace,
  uid: number,
  gid: number,
): { uid: number; gid: number } | undefined {
  const u = insideId(ns.ids.uid, uid);
  const g = insideId(ns.ids.gid, gid);
  return u === undefined || g === undefined ? undefined : { uid: u, gid: g };
}

function insideIdOk(id: number): boolean {
  return Number.isInteger(id) && id >= 0 && id < 65536;
}

/**
 * POSIX ACLs the image's programs set (systemd's on /var/log/journal) hold host ids on disk: the
 * kernel maps the ids when they are written inside the namespace. Reads every ACL as the namespace
 * sees it (getfattr inside) and writes it back from the host with those ids, so the tree holds the
 * image's ids (group adm is 4, whoever built) and image writers copy them as they are. Run after
 * `releaseOwners`: only a file's owner may set its ACL. Returns how many files carry ACLs.
 */
export async function keepAclsAsSeenInside(ns: UserNamespace, root: string): Promise<number> {
  const [getfattr, setfattr] = await Promise.all([findTool(knownTools.getfattr), findTool(knownTools.setfattr)]);
  const dump = await runInUserNamespace(
    ns,
    [
      getfattr.path,
      '--no-dereference',
      '--recursive',
      '--physical',
      '--dump',
      '--match=^system\\.posix_acl_',
      '--encoding=hex',
      '--absolute-names',
      root,
    ],
    { isolateNetwork: true },
  );
  const files = dump.stdout.split('\n').filter((l) => l.startsWith('# file: ')).length;
  if (files === 0) return 0;
  const restored = await execa(setfattr.path, ['--no-dereference', '--restore=-'], {
    input: dump.stdout,
    reject: false,
  });
  if (restored.exitCode !== 0) {
    throw coreError(
      'ERR_USERNS_CHOWN',
      `could not rewrite the ACLs of ${files} file(s) under ${root} with the image's ids: ${String(restored.stderr).trim().split('\n').slice(-3).join(' ')}`,
      { path: root },
    );
  }
  return files;
}

/**
 * Gives every path of `root` back to the invoking user (chown inside the namespace), whatever the
 * image's programs made: on a failed or interrupted build, before the partial tree is removed, so
 * nothing owned by an id of the user's subordinate range (which the user cannot remove) is left.
 * Modes are not restored: the tree is about to go.
 */
export async function reclaimTree(ns: UserNamespace, root: string): Promise<void> {
  const result = await runInUserNamespace(ns, ['chown', '-R', '-h', '0:0', '--', root], { isolateNetwork: true });
  if (result.exitCode !== 0) {
    throw coreError(
      'ERR_USERNS_CHOWN',
      `could not give ${root} back to its owner: ${result.stderr.trim().split('\n').slice(-3).join(' ')}`,
      { path: root },
    );
  }
}

// Runs inside the namespace (root there): walks the tree without following symlinks (so it can
// enter directories only their owner may read), gives every path owned by another id to root with
// its mode kept, and prints what it found as JSON.
const RELEASE_TREE = `
const fs = require('node:fs'); const path = require('node:path');
const root = process.argv[1]; const found = [];
const visit = (rel) => {
  const p = rel === '' ? root : path.join(root, rel);
  const st = fs.lstatSync(p);
  if (st.uid !== 0 || st.gid !== 0) {
    found.push({ path: rel, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, symlink: st.isSymbolicLink() });
    fs.lchownSync(p, 0, 0);
    if (!st.isSymbolicLink()) fs.chmodSync(p, st.mode & 0o7777);
  }
  if (st.isDirectory()) for (const name of fs.readdirSync(p).sort()) visit(rel === '' ? name : rel + '/' + name);
};
visit('');
process.stdout.write(JSON.stringify(found));`;

/**
 * Gives the whole tree back to the invoking user, inside the namespace, and returns the owners the
 * image's programs left on every path owned by another id (path relative to `root`, `''` for the
 * root itself; mode kept on disk). Walking inside the namespace reaches directories only their
 * owner may read (a user's 0700 home). Call it before reading the tree from the host.
 */
export async function releaseTree(
  ns: UserNamespace,
  root: string,
): Promise<Map<string, { uid: number; gid: number; mode: number }>> {
  const result = await runInUserNamespace(ns, [process.execPath, '-e', RELEASE_TREE, root], { isolateNetwork: true });
  if (result.exitCode !== 0) {
    const unmapped = /EPERM|EINVAL/.test(result.stderr);
    throw coreError(
      unmapped ? 'ERR_USERNS_ID_UNMAPPED' : 'ERR_USERNS_CHOWN',
      `could not give ${root} back to its owner: ${result.stderr.trim().split('\n').slice(-3).join(' ')}`,
      { path: root },
    );
  }
  // A path of an unmapped host id shows as 65534 inside, and chown refuses it (EPERM above): what is
  // found here is the image's (65534 is also the image's own nobody/nogroup).
  const found = JSON.parse(result.stdout) as { path: string; uid: number; gid: number; mode: number }[];
  return new Map(found.map((f) => [f.path, { uid: f.uid, gid: f.gid, mode: f.mode }]));
}
