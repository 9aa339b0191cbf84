import { readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { OverlayApplyError } from './errors.js';
import type { RootWriter } from './root-writer.js';

/** One `uid:gid:mode` rule, ids already resolved to numbers. */
export interface PermissionRule {
  uid: number;
  gid: number;
  mode: number;
}

/** Parses archiso's `"uid:gid:mode"` (ids may be names from the root's passwd/group). */
export function parsePermission(
  spec: string,
  lookup: { user: (name: string) => number | undefined; group: (name: string) => number | undefined },
): PermissionRule | string {
  const match = /^([^:]+):([^:]+):([0-7]{3,4})$/.exec(spec);
  if (!match) return 'must be "uid:gid:mode", e.g. "0:0:750" or "root:shadow:0640"';
  const [, user, group, mode] = match as unknown as [string, string, string, string];
  const uid = /^\d+$/.test(user) ? Number(user) : lookup.user(user);
  const gid = /^\d+$/.test(group) ? Number(group) : lookup.group(group);
  if (uid === undefined) return `unknown user ${user} in the root's /etc/passwd`;
  if (gid === undefined) return `unknown group ${group} in the root's /etc/group`;
  return { uid, gid, mode: Number.parseInt(mode, 8) };
}

/**
 * Records a permissions map in the manifest (never chown/chmod on disk). As archiso's
 * `file_permissions` does for directories, the rule applies to everything below them too.
 */
export async function applyPermissions(writer: RootWriter, rules: ReadonlyMap<string, PermissionRule>): Promise<void> {
  for (const [path, rule] of [...rules].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const physical = await writer.locate(path);
    const stats = await writer.lstatIn(physical);
    if (stats === undefined) {
      throw new OverlayApplyError(
        'ERR_OVERLAY_PERMISSION_TARGET_MISSING',
        `permissions name ${path}, which is not in the root`,
        {
          path,
          hint: 'add the file to the overlay or remove the rule',
        },
      );
    }
    if (stats.isSymbolicLink()) {
      writer.own(physical, { uid: rule.uid, gid: rule.gid });
      continue;
    }
    writer.own(physical, { uid: rule.uid, gid: rule.gid, mode: rule.mode });
    if (stats.isDirectory()) await ownBelow(writer, physical, rule);
  }
}

async function ownBelow(writer: RootWriter, dir: string, rule: PermissionRule): Promise<void> {
  const entries = await readdir(writer.host(dir), { withFileTypes: true });
  for (const entry of entries) {
    const path = posix.join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      writer.own(path, { uid: rule.uid, gid: rule.gid });
      continue;
    }
    writer.own(path, { uid: rule.uid, gid: rule.gid, mode: rule.mode });
    if (entry.isDirectory()) await ownBelow(writer, path, rule);
  }
}
