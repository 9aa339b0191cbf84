import { readFile, readdir, readlink } from 'node:fs/promises';
import { ColonFile } from '../colon-file.js';
import type { RootWriter } from '../root-writer.js';
import { unitSearchPath } from '../unit-files.js';

export type UpdateStampsPolicy = 'auto' | 'never';

/** Why the stamps were or were not written, for the caller's report. */
export interface UpdateStampsResult {
  written: boolean;
  reason: string;
}

/**
 * Units with ConditionNeedsUpdate= whose work a finished root has already done: sysusers' when every
 * account its sysusers.d files declare exists (checked here), update-done's by these stamps.
 */
const VOUCHED_UNITS = new Set(['systemd-sysusers.service', 'systemd-update-done.service']);

/** Where systemd-sysusers reads its files, the first of a name winning (minus /run, empty in an image). */
const SYSUSERS_DIRS = ['/etc/sysusers.d', '/usr/local/lib/sysusers.d', '/usr/lib/sysusers.d', '/lib/sysusers.d'];

/**
 * Writes /etc/.updated and /var/.updated as systemd-update-done would on the first boot after /usr
 * changed (TIMESTAMP_NSEC and the mtime equal to /usr's, here SOURCE_DATE_EPOCH, to which the image
 * clamps every mtime). Without them a live image, whose /etc starts afresh at each boot, runs every
 * ConditionNeedsUpdate= unit at every boot: systemd-sysusers sits on the critical path to the login
 * prompt (~0.5 s of a Debian boot under TCG). Written only when nothing those units would do is left
 * undone: the root's only such units are systemd-sysusers and systemd-update-done (ldconfig, hwdb or
 * catalog updates are not checked here, so a root with those units keeps running them), and every
 * user, group and membership its sysusers.d files declare already exists. Nothing is written when no
 * unit has the condition (nothing to gain), without an epoch (the final mtime of /usr is unknown
 * then) or when the root already has a stamp.
 */
export async function applyUpdateStamps(writer: RootWriter, policy: UpdateStampsPolicy): Promise<UpdateStampsResult> {
  if (policy === 'never') return { written: false, reason: 'updateStamps: never' };
  if (writer.epoch === undefined)
    return { written: false, reason: 'no SOURCE_DATE_EPOCH: /usr’s final mtime is unknown' };
  if ((await writer.exists('/etc/.updated')) || (await writer.exists('/var/.updated')))
    return { written: false, reason: 'the root has its own stamp' };
  const units = await needsUpdateUnits(writer);
  if (units.length === 0) return { written: false, reason: 'no unit has ConditionNeedsUpdate=' };
  const other = units.filter((unit) => !VOUCHED_UNITS.has(unit));
  if (other.length > 0) return { written: false, reason: `left to the boot: ${other.join(', ')}` };
  if (units.includes('systemd-sysusers.service')) {
    const missing = await undoneSysusers(writer);
    if (missing !== undefined) return { written: false, reason: `systemd-sysusers has work left: ${missing}` };
  }
  const nsec = `${BigInt(writer.epoch) * 1_000_000_000n}`;
  const text = `# Written at build time by distroforge: /etc and /var match /usr (see systemd-update-done.service(8)).\nTIMESTAMP_NSEC=${nsec}\n`;
  await writer.writeFile('/etc/.updated', text);
  await writer.writeFile('/var/.updated', text);
  return { written: true, reason: `skips ${units.join(', ')} at boot` };
}

/**
 * Names of the units (or their drop-ins) that carry ConditionNeedsUpdate=/AssertNeedsUpdate=, masked
 * ones left out, sorted. Regular files are read directly (their directory was resolved inside the
 * root; a few hundred of them): only symlinks go through the root's resolution.
 */
async function needsUpdateUnits(writer: RootWriter): Promise<string[]> {
  const found = new Set<string>();
  const masked = new Set<string>();
  const scanned = new Set<string>();
  const scan = async (dir: string, unit?: string): Promise<void> => {
    const physical = await directoryIn(writer, dir);
    // /lib/systemd/system is /usr/lib/systemd/system on merged-usr: read once.
    if (physical === undefined || scanned.has(physical)) return;
    scanned.add(physical);
    for (const entry of await readdir(writer.host(physical), { withFileTypes: true })) {
      const path = `${physical}/${entry.name}`;
      const dropIns = unit === undefined && entry.name.endsWith('.d');
      if (entry.isSymbolicLink()) {
        if (unit === undefined && (await readlink(writer.host(path))) === '/dev/null') masked.add(entry.name);
        else if (dropIns) await scan(path, entry.name.slice(0, -2));
        else if (needsUpdate(await writer.readText(path).catch(() => undefined))) found.add(unit ?? entry.name);
      } else if (entry.isDirectory()) {
        if (dropIns) await scan(path, entry.name.slice(0, -2));
      } else if (entry.isFile() && (unit === undefined || entry.name.endsWith('.conf'))) {
        if (needsUpdate(await readFile(writer.host(path), 'utf8'))) found.add(unit ?? entry.name);
      }
    }
  };
  for (const dir of unitSearchPath) await scan(dir);
  return [...found].filter((unit) => !masked.has(unit)).sort();
}

function needsUpdate(text: string | undefined): boolean {
  return text !== undefined && /^[ \t]*(?:Condition|Assert)NeedsUpdate[ \t]*=/m.test(text);
}

/**
 * The first sysusers.d line whose account or membership the root lacks (as `TYPE NAME ...`), or
 * undefined when systemd-sysusers would change nothing. A line this check cannot judge (a
 * specifier, an unknown type) counts as work left.
 */
async function undoneSysusers(writer: RootWriter): Promise<string | undefined> {
  const files = new Map<string, string>();
  for (const dir of SYSUSERS_DIRS)
    for (const name of await listDir(writer, dir)) if (name.endsWith('.conf') && !files.has(name)) files.set(name, dir);
  const passwd = new ColonFile(await writer.readText('/etc/passwd'));
  const group = new ColonFile(await writer.readText('/etc/group'));
  for (const [name, dir] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const path = `${dir}/${name}`;
    const located = await writer.locate(path);
    const stats = await writer.lstatIn(located);
    if (stats?.isSymbolicLink() && (await readlink(writer.host(located))) === '/dev/null') continue;
    for (const raw of ((await writer.readText(path)) ?? '').split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const [type = '', first = '', second = '-'] = sysusersFields(line);
      if (line.includes('%')) return line;
      switch (type.replace(/!$/, '')) {
        case 'u': {
          // The user, and the group of its name that sysusers creates with it unless the line names
          // one (uid:gid, uid:group: used as given, never created).
          if (passwd.get(first) === undefined || (!second.includes(':') && group.get(first) === undefined)) return line;
          break;
        }
        case 'g':
          if (group.get(first) === undefined) return line;
          break;
        case 'm': {
          const members = group.get(second)?.[3]?.split(',') ?? [];
          if (!members.includes(first)) return line;
          break;
        }
        case 'r':
          break;
        default:
          return line;
      }
    }
  }
  return undefined;
}

/** A sysusers.d line's fields: whitespace-separated, double quotes keep spaces. */
function sysusersFields(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

/** The physical in-root path of directory `dir` (symlinks inside the root followed), undefined when it is none. */
async function directoryIn(writer: RootWriter, dir: string): Promise<string | undefined> {
  const physical = await writer.resolve(dir).catch(() => undefined);
  if (physical === undefined) return undefined;
  return (await writer.lstatIn(physical))?.isDirectory() ? physical : undefined;
}

/** Entry names of a directory of the root, sorted; empty when absent. */
async function listDir(writer: RootWriter, dir: string): Promise<string[]> {
  const physical = await directoryIn(writer, dir);
  return physical === undefined ? [] : (await readdir(writer.host(physical))).sort();
}
