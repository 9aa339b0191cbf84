import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { coreError } from '../errors.js';
import { findTool, type FoundTool } from '../find-tool.js';
import { knownTools } from '../known-tools.js';
import type { IdMapping, UserNamespaceIds } from './id-map.js';
import { subordinateRanges, type IdRange } from './subordinate-ids.js';

/**
 * Ids 0..65535 exist inside every namespace, root's or a user's, so a tree's owners cannot depend
 * on who built it: 0 is the invoking user, 1..65535 come from its subordinate range.
 */
export const NAMESPACE_ID_COUNT = 65536;

/**
 * Root's subordinate range when /etc/subuid has none for root: high enough to collide with no
 * account (useradd allocates from 100000 up), documented in core's README.
 */
export const ROOT_DEFAULT_SUBORDINATE_START = 0x7000_0000;

/** Where a namespace's ids come from and how they are written. */
export interface UserNamespace {
  ids: UserNamespaceIds;
  /** Host ids that are 0 inside: the invoking user, the owner of the trees it builds. */
  owner: { uid: number; gid: number };
  /** `newuidmap`/`newgidmap` for an ordinary user; root writes the maps itself. */
  mapper: { newuidmap: FoundTool; newgidmap: FoundTool } | 'direct';
  unshare: FoundTool;
}

/** Inputs of the checks, replaceable in tests. */
export interface PrepareUserNamespaceOptions {
  /** The user the namespace is for (default: this process's). */
  user?: { name: string; uid: number; gid: number };
  /** Directory holding the sysctl files (default `/proc/sys`). */
  procSys?: string;
  subuidFile?: string;
  subgidFile?: string;
}

/**
 * Checks, before any work, that this machine lets the user run code in a user namespace with a full
 * id range, and says how to fix it when not: user namespaces disabled or restricted by sysctl,
 * newuidmap/newgidmap missing, no subordinate range for the user. Each refusal is a DistroforgeError
 * with its own code and the command that fixes it.
 */
export async function prepareUserNamespace(options: PrepareUserNamespaceOptions = {}): Promise<UserNamespace> {
  const user = options.user ?? currentUser();
  const isRoot = user.uid === 0;
  const procSys = options.procSys ?? '/proc/sys';
  const sysctl = async (name: string) =>
    (await readFile(join(procSys, ...name.split('.')), 'utf8').catch(() => undefined))?.trim();

  if ((await sysctl('user.max_user_namespaces')) === '0') {
    throw coreError(
      'ERR_USERNS_DISABLED',
      'user namespaces are disabled on this machine (user.max_user_namespaces = 0)',
      {
        value: 'user.max_user_namespaces',
        hint: 'enable them: sysctl -w user.max_user_namespaces=15000 (and in /etc/sysctl.d/ to keep it)',
      },
    );
  }
  if (!isRoot && (await sysctl('kernel.unprivileged_userns_clone')) === '0') {
    throw coreError(
      'ERR_USERNS_DISABLED',
      'user namespaces are disabled for ordinary users (kernel.unprivileged_userns_clone = 0)',
      {
        value: 'kernel.unprivileged_userns_clone',
        hint: 'enable them: sysctl -w kernel.unprivileged_userns_clone=1 (and in /etc/sysctl.d/ to keep it)',
      },
    );
  }
  if (!isRoot && (await sysctl('kernel.apparmor_restrict_unprivileged_userns')) === '1') {
    throw coreError(
      'ERR_USERNS_RESTRICTED',
      'AppArmor restricts user namespaces of ordinary users (kernel.apparmor_restrict_unprivileged_userns = 1)',
      {
        value: 'kernel.apparmor_restrict_unprivileged_userns',
        hint: 'allow them: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or give node an AppArmor profile with "userns,"',
      },
    );
  }

  const unshare = await findTool(knownTools.unshare);
  const subuid = await subordinateRange(options.subuidFile ?? '/etc/subuid', user, isRoot, 'uid');
  const subgid = await subordinateRange(options.subgidFile ?? '/etc/subgid', user, isRoot, 'gid');
  const ids: UserNamespaceIds = { uid: mapping(user.uid, subuid), gid: mapping(user.gid, subgid) };
  if (isRoot) return { ids, owner: { uid: user.uid, gid: user.gid }, mapper: 'direct', unshare };
  const [newuidmap, newgidmap] = await Promise.all([findTool(knownTools.newuidmap), findTool(knownTools.newgidmap)]);
  return { ids, owner: { uid: user.uid, gid: user.gid }, mapper: { newuidmap, newgidmap }, unshare };
}

function currentUser(): { name: string; uid: number; gid: number } {
  const info = userInfo();
  return { name: info.username, uid: info.uid, gid: info.gid };
}

function mapping(owner: number, sub: IdRange): IdMapping[] {
  return [
    { inside: 0, outside: owner, count: 1 },
    { inside: 1, outside: sub.start, count: NAMESPACE_ID_COUNT - 1 },
  ];
}

async function subordinateRange(
  file: string,
  user: { name: string; uid: number; gid: number },
  isRoot: boolean,
  kind: 'uid' | 'gid',
): Promise<IdRange> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const ranges = subordinateRanges(text, { name: user.name, id: user.uid });
  const usable = ranges.find((r) => r.count >= NAMESPACE_ID_COUNT - 1);
  if (usable) return usable;
  if (isRoot) return { start: ROOT_DEFAULT_SUBORDINATE_START, count: NAMESPACE_ID_COUNT - 1 };
  const found = ranges.length === 0 ? 'none' : ranges.map((r) => `${r.start}+${r.count}`).join(', ');
  const start = 100000;
  throw coreError(
    'ERR_SUBID_RANGE_MISSING',
    `${file} grants ${user.name} no range of ${NAMESPACE_ID_COUNT - 1} or more sub${kind}s (found: ${found})`,
    {
      path: file,
      value: user.name,
      hint: `as root: usermod --add-subuids ${start}-${start + NAMESPACE_ID_COUNT - 1} --add-subgids ${start}-${start + NAMESPACE_ID_COUNT - 1} ${user.name} (choose a range no other user has)`,
    },
  );
}
