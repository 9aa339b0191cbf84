import type { Group, User } from './account-schema.js';
import { ColonFile } from './colon-file.js';
import { createHome } from './create-home.js';
import { OverlayApplyError } from './errors.js';
import { parseLoginDefs, type IdRanges } from './login-defs.js';
import type { RootWriter } from './root-writer.js';
import { deterministicSalt, sha512Crypt, verifySha512Crypt } from './sha512-crypt.js';

interface AccountFiles {
  passwd: ColonFile;
  group: ColonFile;
  shadow: ColonFile;
  gshadow: ColonFile;
  ranges: IdRanges;
}

type ReadText = (path: string) => Promise<string | undefined>;
type PlannedHome = { user: User; uid: number; gid: number; home: string };

/**
 * Declared users and groups written straight into /etc/passwd, group, shadow and gshadow (no
 * useradd): existing lines are kept byte-for-byte, ours added or updated in place, so applying
 * the same declaration twice changes nothing.
 */
export async function applyAccounts(
  writer: RootWriter,
  users: readonly User[],
  groups: readonly Group[],
): Promise<void> {
  if (users.length === 0 && groups.length === 0) return;
  const { files, homes } = await planAccounts((path) => writer.readText(path), users, groups, writer.epoch);
  const shadowGid = files.group.get('shadow')?.[2];
  const secret = shadowGid === undefined ? { gid: 0, mode: 0o600 } : { gid: Number(shadowGid), mode: 0o640 };
  await writer.writeFile('/etc/passwd', files.passwd.toString(), { mode: 0o644 });
  await writer.writeFile('/etc/group', files.group.toString(), { mode: 0o644 });
  await writer.writeFile('/etc/shadow', files.shadow.toString(), { uid: 0, ...secret });
  await writer.writeFile('/etc/gshadow', files.gshadow.toString(), { uid: 0, ...secret });
  for (const { user, uid, gid, home } of homes) await createHome(writer, user, uid, gid, home);
}

/**
 * The same edits in memory only: throws the conflict `applyAccounts` would throw, so a profile can
 * be checked before anything is written. `readText` gives the account files as they will be then.
 */
export async function checkAccounts(
  readText: ReadText,
  users: readonly User[],
  groups: readonly Group[],
  epoch: number | undefined,
): Promise<void> {
  if (users.length === 0 && groups.length === 0) return;
  await planAccounts(readText, users, groups, epoch);
}

async function planAccounts(
  readText: ReadText,
  users: readonly User[],
  groups: readonly Group[],
  epoch: number | undefined,
): Promise<{ files: AccountFiles; homes: PlannedHome[] }> {
  const files: AccountFiles = {
    passwd: new ColonFile(await readText('/etc/passwd')),
    group: new ColonFile(await readText('/etc/group')),
    shadow: new ColonFile(await readText('/etc/shadow')),
    gshadow: new ColonFile(await readText('/etc/gshadow')),
    ranges: parseLoginDefs(await readText('/etc/login.defs')),
  };
  for (const group of groups) {
    ensureGroup(files, group.name, group.gid, group.system);
    for (const member of group.members) addMember(files, group.name, member);
  }
  const homes: PlannedHome[] = [];
  for (const user of users) {
    const placed = placeUser(files, user, epoch);
    if (placed) homes.push({ user, ...placed });
  }
  return { files, homes };
}

function ensureGroup(files: AccountFiles, name: string, gid: number | undefined, system: boolean): number {
  const existing = files.group.get(name);
  if (existing) {
    const current = Number(existing[2]);
    if (gid !== undefined && gid !== current) {
      throw new OverlayApplyError(
        'ERR_ACCOUNT_CONFLICT',
        `group ${name} already exists with gid ${current}, not ${gid}`,
        {
          value: name,
          hint: 'drop the gid from the declaration or use the existing one',
        },
      );
    }
    return current;
  }
  const used = usedIds(files.group, 2);
  if (gid !== undefined && used.has(gid)) {
    throw new OverlayApplyError('ERR_ACCOUNT_CONFLICT', `gid ${gid} for group ${name} is already taken`, {
      value: gid,
      hint: 'choose a free gid or omit it',
    });
  }
  const chosen =
    gid ?? allocate(used, system ? files.ranges.gid.system : files.ranges.gid.normal, system, `group ${name}`);
  files.group.set([name, 'x', String(chosen), '']);
  files.gshadow.set([name, '!', '', '']);
  return chosen;
}

function addMember(files: AccountFiles, groupName: string, member: string): void {
  for (const [file, column] of [
    [files.group, 3],
    [files.gshadow, 3],
  ] as const) {
    const fields = file.get(groupName);
    if (!fields) continue;
    const members = (fields[column] ?? '').split(',').filter(Boolean);
    if (members.includes(member)) continue;
    while (fields.length <= column) fields.push('');
    fields[column] = [...members, member].join(',');
    file.set(fields);
  }
}

/** Writes the user's passwd/shadow entries; returns where its home goes if it needs creating. */
function placeUser(
  files: AccountFiles,
  user: User,
  epoch: number | undefined,
): { uid: number; gid: number; home: string } | undefined {
  const existing = files.passwd.get(user.name);
  const currentUid = existing ? Number(existing[2]) : undefined;
  if (user.uid !== undefined && currentUid !== undefined && user.uid !== currentUid) {
    throw new OverlayApplyError(
      'ERR_ACCOUNT_CONFLICT',
      `user ${user.name} already exists with uid ${currentUid}, not ${user.uid}`,
      {
        value: user.name,
        hint: 'drop the uid from the declaration or use the existing one',
      },
    );
  }
  const usedUids = usedIds(files.passwd, 2);
  if (user.uid !== undefined && currentUid === undefined && usedUids.has(user.uid)) {
    throw new OverlayApplyError('ERR_ACCOUNT_CONFLICT', `uid ${user.uid} for user ${user.name} is already taken`, {
      value: user.uid,
      hint: 'choose a free uid or omit it',
    });
  }
  const uid =
    currentUid ??
    user.uid ??
    allocate(
      usedUids,
      user.system ? files.ranges.uid.system : files.ranges.uid.normal,
      user.system,
      `user ${user.name}`,
    );

  let gid: number;
  if (user.group !== undefined) {
    const fields = files.group.get(user.group);
    if (!fields) {
      throw new OverlayApplyError(
        'ERR_ACCOUNT_UNKNOWN',
        `primary group ${user.group} of user ${user.name} does not exist`,
        {
          value: user.group,
          hint: 'declare it under groups or omit group to get a group named like the user',
        },
      );
    }
    gid = Number(fields[2]);
  } else if (existing) {
    gid = Number(existing[3]);
  } else {
    const privateGroup = files.group.get(user.name);
    const usedGids = usedIds(files.group, 2);
    gid = privateGroup
      ? Number(privateGroup[2])
      : ensureGroup(files, user.name, usedGids.has(uid) ? undefined : uid, user.system);
  }
  for (const group of user.groups) {
    ensureGroup(files, group, undefined, true);
    addMember(files, group, user.name);
  }

  const home =
    user.home ??
    existing?.[5] ??
    (user.name === 'root' ? '/root' : user.system ? '/nonexistent' : `/home/${user.name}`);
  const shell = user.shell ?? existing?.[6] ?? (user.system ? '/usr/sbin/nologin' : '/bin/bash');
  const gecos = user.gecos ?? existing?.[4] ?? '';
  files.passwd.set([user.name, existing?.[1] ?? 'x', String(uid), String(gid), gecos, home, shell]);
  placeShadow(files, user, epoch);
  // Never take over an existing account's home elsewhere (daemon's is /usr/sbin, root's /root);
  // homes under /home stay managed on every run so a re-run records the same ownership.
  const createHome =
    user.createHome ?? (!user.system && home !== '/nonexistent' && (!existing || home.startsWith('/home/')));
  return createHome ? { uid, gid, home } : undefined;
}

function placeShadow(files: AccountFiles, user: User, epoch: number | undefined): void {
  const existing = files.shadow.get(user.name);
  const current = existing?.[1];
  let hash = current ?? '!';
  if (user.password && 'hash' in user.password) hash = user.password.hash;
  if (user.password && 'plain' in user.password) {
    const { plain, salt, rounds } = user.password;
    const unlocked = current?.replace(/^!/, '') ?? '';
    const keep = salt === undefined && rounds === undefined && verifySha512Crypt(plain, unlocked);
    hash = keep
      ? unlocked
      : sha512Crypt(plain, {
          salt: salt ?? deterministicSalt(user.name, plain, epoch),
          ...(rounds === undefined ? {} : { rounds }),
        });
  }
  if (user.locked === true && !hash.startsWith('!')) hash = `!${hash}`;
  if (user.locked === false && hash.startsWith('!') && hash.length > 1) hash = hash.slice(1);
  // Re-declaring the same password of a locked account keeps it locked unless `locked: false` says otherwise.
  if (user.locked === undefined && user.password && current?.startsWith('!') && current.slice(1) === hash)
    hash = current;

  const today = epoch === undefined ? '' : String(Math.floor(epoch / 86400));
  if (existing) {
    if (hash === current) return;
    const fields = [...existing];
    fields[1] = hash;
    fields[2] = today === '' ? (existing[2] ?? '') : today;
    files.shadow.set(fields);
    return;
  }
  files.shadow.set([user.name, hash, today, '0', '99999', '7', '', '', '']);
}

function usedIds(file: ColonFile, column: number): Set<number> {
  return new Set(file.entries().map((fields) => Number(fields[column])));
}

/** System ids: highest free first (as useradd -r and systemd-sysusers); normal ids: lowest free first. */
function allocate(used: ReadonlySet<number>, [min, max]: [number, number], descending: boolean, what: string): number {
  if (descending) {
    for (let id = max; id >= min; id--) if (!used.has(id)) return id;
  } else {
    for (let id = min; id <= max; id++) if (!used.has(id)) return id;
  }
  throw new OverlayApplyError('ERR_ACCOUNT_RANGE_EXHAUSTED', `no free id in ${min}..${max} for ${what}`, {
    value: what,
    hint: "give the uid/gid explicitly or widen the range in the root's /etc/login.defs",
  });
}
