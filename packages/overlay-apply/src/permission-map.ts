import { ColonFile } from './colon-file.js';
import { OptionsInvalidError } from './errors.js';
import { applyPermissions, parsePermission, type PermissionRule } from './permissions.js';
import type { RootWriter } from './root-writer.js';

/** Parses the `path -> "uid:gid:mode"` map against the root's own accounts, then records it. */
export async function applyPermissionMap(writer: RootWriter, map: Readonly<Record<string, string>>): Promise<void> {
  const entries = Object.entries(map);
  if (entries.length === 0) return;
  const passwd = new ColonFile(await writer.readText('/etc/passwd'));
  const group = new ColonFile(await writer.readText('/etc/group'));
  const id = (file: ColonFile, name: string) => {
    const value = file.get(name)?.[2];
    return value === undefined ? undefined : Number(value);
  };
  const rules = new Map<string, PermissionRule>();
  for (const [path, spec] of entries) {
    const rule = parsePermission(spec, { user: (n) => id(passwd, n), group: (n) => id(group, n) });
    if (typeof rule === 'string') throw new OptionsInvalidError(`permissions.${path}`, rule);
    rules.set(path, rule);
  }
  await applyPermissions(writer, rules);
}
