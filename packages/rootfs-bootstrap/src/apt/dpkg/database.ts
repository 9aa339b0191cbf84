import { utimesSync, writeFileSync } from 'node:fs';
import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { declaredConffiles, type DebControlArchive } from '../deb/control-archive.js';

const ADMIN = 'var/lib/dpkg';

/** A package whose files are on disk, to be recorded in dpkg's database as `unpacked`. */
export interface UnpackedDebPackage {
  name: string;
  architecture: string;
  multiArch: string;
  control: DebControlArchive;
  /** The `.list` lines: archive members in order, `/.` for the root. */
  listed: readonly string[];
}

/** dpkg's name for a package in file names and trigger files: `name:arch` only for Multi-Arch: same. */
export function dpkgPackageName(pkg: Pick<UnpackedDebPackage, 'name' | 'architecture' | 'multiArch'>): string {
  return pkg.multiArch === 'same' ? `${pkg.name}:${pkg.architecture}` : pkg.name;
}

/**
 * Records unpacked packages in the target's dpkg database exactly as `dpkg --unpack` leaves them:
 * `status` paragraphs with `Status: install ok unpacked` and conffiles hashed `newconffile` (their
 * files wait at `<path>.dpkg-new`), `info/<pkg>.*` copied from the control tarball, `info/<pkg>.list`
 * in archive order, and the trigger interests (`triggers/File`, `triggers/<name>`). `dpkg
 * --configure` then finishes them as if dpkg had unpacked them itself.
 */
export async function registerUnpacked(root: string, packages: readonly UnpackedDebPackage[]): Promise<void> {
  const info = join(root, ADMIN, 'info');
  const paragraphs: string[] = [];
  const fileInterests: string[] = [];
  const namedInterests = new Map<string, string[]>();
  // The info files synchronously: a stage writes hundreds of small files here with nothing else to
  // do meanwhile, and each awaited call was a round trip through the thread pool.
  for (const pkg of packages) {
    const base = dpkgPackageName(pkg);
    for (const member of pkg.control.members) {
      if (member.name === 'control') continue;
      const path = join(info, `${base}.${member.name}`);
      writeFileSync(path, member.data, { mode: member.mode });
      if (member.mtime) utimesSync(path, member.mtime, member.mtime);
    }
    writeFileSync(join(info, `${base}.list`), pkg.listed.map((p) => `${p}\n`).join(''));
    paragraphs.push(statusParagraph(pkg.control));
    for (const { name, noawait } of triggerInterests(pkg.control)) {
      const who = `${base}${noawait ? '/noawait' : ''}`;
      if (name.startsWith('/')) fileInterests.push(`${name} ${who}\n`);
      else namedInterests.set(name, [...(namedInterests.get(name) ?? []), `${who}\n`]);
    }
  }
  // status is replaced in one rename: a reader never sees half of it.
  await writeFile(join(info, 'format'), '1\n'); // the info directory layout version dpkg writes
  const status = join(root, ADMIN, 'status');
  const previous = await readFile(status, 'utf8').catch(() => '');
  await writeFile(`${status}.distroforge-new`, previous + paragraphs.join(''));
  await rename(`${status}.distroforge-new`, status);
  if (fileInterests.length > 0) await appendFile(join(root, ADMIN, 'triggers/File'), fileInterests.join(''));
  for (const [name, lines] of namedInterests) await appendFile(join(root, ADMIN, 'triggers', name), lines.join(''));
}

/** The package's control paragraph as a `status` entry (dpkg re-sorts its fields when it rewrites the file). */
export function statusParagraph(control: DebControlArchive): string {
  const lines = control.control.replace(/\r/g, '').replace(/\n+$/, '').split('\n');
  const at = lines.findIndex((l) => /^package:/i.test(l));
  lines.splice(at + 1, 0, 'Status: install ok unpacked');
  const conffiles = declaredConffiles(control);
  if (conffiles.length > 0) lines.push('Conffiles:', ...conffiles.map((c) => ` ${c} newconffile`));
  return `${lines.join('\n')}\n\n`;
}

/** `interest*` directives of a package's `triggers` control file. */
export function triggerInterests(control: DebControlArchive): { name: string; noawait: boolean }[] {
  const text = control.members.find((m) => m.name === 'triggers')?.data.toString('utf8') ?? '';
  const interests: { name: string; noawait: boolean }[] = [];
  for (const raw of text.split('\n')) {
    const [directive, name] = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (!name) continue;
    if (directive === 'interest' || directive === 'interest-await') interests.push({ name, noawait: false });
    else if (directive === 'interest-noawait') interests.push({ name, noawait: true });
  }
  return interests;
}

/** File-trigger interests already recorded in the target (`triggers/File`): the interesting paths. */
export async function fileTriggerPaths(root: string): Promise<string[]> {
  const text = await readFile(join(root, ADMIN, 'triggers/File'), 'utf8').catch(() => '');
  return [
    ...new Set(
      text
        .split('\n')
        .map((l) => l.split(' ')[0]!)
        .filter((p) => p.startsWith('/')),
    ),
  ];
}

/**
 * Activates the file triggers that `paths` (files unpacked behind dpkg's back) would have activated,
 * the way `dpkg-trigger --no-await` does: through `triggers/Unincorp`, which the next dpkg run reads.
 */
export async function activateFileTriggers(root: string, paths: Iterable<string>): Promise<string[]> {
  const interests = await fileTriggerPaths(root);
  if (interests.length === 0) return [];
  const hit = new Set<string>();
  for (const path of paths) {
    for (const interest of interests) if (path === interest || path.startsWith(`${interest}/`)) hit.add(interest);
  }
  const activated = [...hit].sort();
  if (activated.length > 0)
    await appendFile(join(root, ADMIN, 'triggers/Unincorp'), activated.map((t) => `${t} -\n`).join(''));
  return activated;
}

/** Diversions in force (`diversions`: from, to, diverting package — `:` for local ones). */
export async function readDiversions(root: string): Promise<Map<string, { to: string; by: string }>> {
  const lines = (await readFile(join(root, ADMIN, 'diversions'), 'utf8').catch(() => '')).split('\n');
  const diversions = new Map<string, { to: string; by: string }>();
  for (let i = 0; i + 2 < lines.length; i += 3) diversions.set(lines[i]!, { to: lines[i + 1]!, by: lines[i + 2]! });
  return diversions;
}

/** An owner and mode `dpkg-statoverride` recorded for a path; dpkg applies it whenever it unpacks that path. */
export interface StatOverride {
  uid: number;
  gid: number;
  mode: number;
}

/**
 * The stat overrides in force (`statoverride`: `owner group mode path`), owners resolved by the
 * target's own `/etc/passwd` and `/etc/group` (`#uid` and `#gid` are numeric). Unknown names are skipped.
 */
export async function readStatOverrides(root: string): Promise<Map<string, StatOverride>> {
  const text = await readFile(join(root, ADMIN, 'statoverride'), 'utf8').catch(() => '');
  const overrides = new Map<string, StatOverride>();
  if (text.trim() === '') return overrides;
  const ids = async (file: string) =>
    new Map(
      (await readFile(join(root, 'etc', file), 'utf8').catch(() => ''))
        .split('\n')
        .map((l) => l.split(':'))
        .filter((f) => f.length > 2)
        .map((f) => [f[0]!, Number(f[2])] as const),
    );
  const [users, groups] = await Promise.all([ids('passwd'), ids('group')]);
  const id = (name: string, table: Map<string, number>) =>
    name.startsWith('#') ? Number(name.slice(1)) : table.get(name);
  for (const line of text.split('\n')) {
    const [owner, group, mode, ...path] = line.trim().split(/\s+/);
    if (!owner || !group || !mode || path.length === 0) continue;
    const uid = id(owner, users);
    const gid = id(group, groups);
    if (uid === undefined || gid === undefined || Number.isNaN(uid) || Number.isNaN(gid)) continue;
    overrides.set(path.join(' '), { uid, gid, mode: Number.parseInt(mode, 8) });
  }
  return overrides;
}
