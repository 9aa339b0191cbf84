import { lstat, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { OverlayApplyError, UnknownUnitError } from './errors.js';
import type { RootWriter } from './root-writer.js';

/**
 * Unit search path as `systemctl --root` on Debian bookworm prints it (systemd-analyze unit-paths,
 * minus /run): the first hit wins and its path, as written here (so `/lib/...` even on merged-usr),
 * becomes the symlink target, exactly as systemctl writes it.
 */
export const unitSearchPath = [
  '/etc/systemd/system',
  '/usr/local/lib/systemd/system',
  '/lib/systemd/system',
  '/usr/lib/systemd/system',
] as const;

export const unitConfigDir = '/etc/systemd/system';

export interface UnitName {
  full: string;
  /** `getty` of `getty@tty1.service`. */
  prefix: string;
  /** `tty1` of `getty@tty1.service`; '' for a bare template; undefined for a plain unit. */
  instance: string | undefined;
  suffix: string;
  /** `getty@.service` for any getty instance or template. */
  template: string | undefined;
}

const unitPattern =
  /^([A-Za-z0-9:_.\\-]+?)(?:@([A-Za-z0-9:_.\\-]*))?\.(service|socket|target|device|mount|automount|swap|timer|path|slice|scope)$/;

export function isUnitName(name: string): boolean {
  return unitPattern.test(name);
}

export function parseUnitName(name: string): UnitName {
  const match = unitPattern.exec(name);
  if (!match)
    throw new OverlayApplyError('ERR_OVERLAY_OPTIONS_INVALID', `not a unit name: ${name}`, {
      value: name,
      hint: 'unit names look like foo.service or getty@tty1.service',
    });
  const [, prefix, instance, suffix] = match as unknown as [string, string, string | undefined, string];
  return {
    full: name,
    prefix,
    instance,
    suffix,
    template: instance === undefined ? undefined : `${prefix}@.${suffix}`,
  };
}

export interface UnitFile {
  /** The unit this name resolved to (the target of an alias symlink, else the name asked for). */
  name: UnitName;
  /** Logical path in the search path, used as the symlink target (`/lib/systemd/system/getty@.service`). */
  path: string;
  /** The directory of the search path it was found in. */
  dir: string;
  /** True when found in /etc/systemd/system as a symlink to /dev/null. */
  masked: boolean;
  install: InstallSection;
  /** The unit file's text, to re-expand specifiers for a default instance. */
  text: string;
}

export interface InstallSection {
  wantedBy: string[];
  requiredBy: string[];
  alias: string[];
  also: string[];
  defaultInstance: string | undefined;
}

/**
 * Finds a unit as systemd does: the exact name in every directory first, then its template. A unit
 * that is a symlink to another unit (an alias such as `ctrl-alt-del.target -> reboot.target`)
 * resolves to that unit, as systemctl enables the target of an alias.
 */
export async function findUnitFile(writer: RootWriter, name: UnitName, hops = 0): Promise<UnitFile> {
  for (const candidate of name.template && name.instance ? [name.full, name.template] : [name.full]) {
    for (const dir of unitSearchPath) {
      const path = `${dir}/${candidate}`;
      const located = await writer.locate(path).catch(() => undefined);
      const stats = located === undefined ? undefined : await writer.lstatIn(located);
      if (!stats || located === undefined) continue;
      if (stats.isSymbolicLink()) {
        const target = await readlink(writer.host(located));
        if (target === '/dev/null') return { name, path, dir, masked: true, install: emptyInstall(), text: '' };
        const aliased = basename(target);
        if (aliased !== candidate && isUnitName(aliased) && hops < 8) {
          const real = parseUnitName(aliased);
          const instance =
            real.instance === '' && name.instance ? `${real.prefix}@${name.instance}.${real.suffix}` : aliased;
          return findUnitFile(writer, parseUnitName(instance), hops + 1);
        }
      }
      const text = await writer.readText(path);
      if (text === undefined) continue;
      return { name, path, dir, masked: false, install: parseInstallSection(text, name), text };
    }
  }
  throw new UnknownUnitError(name.full, unitSearchPath);
}

/**
 * Checks, before anything is written, that every unit can be found in the root or will be
 * brought by the overlay (so an unknown unit does not leave a half-applied root behind).
 */
export async function assertUnitsExist(
  writer: RootWriter,
  overlay: string | undefined,
  units: readonly string[],
): Promise<void> {
  for (const unit of units) {
    const name = parseUnitName(unit);
    let found = false;
    for (const candidate of name.template && name.instance ? [name.full, name.template] : [name.full]) {
      for (const dir of unitSearchPath) {
        if (found) break;
        const located = await writer.locate(`${dir}/${candidate}`).catch(() => undefined);
        const inRoot = located !== undefined && (await writer.lstatIn(located)) !== undefined;
        const inOverlay =
          overlay !== undefined &&
          (await lstat(join(overlay, dir, candidate)).then(
            () => true,
            () => false,
          ));
        found = inRoot || inOverlay;
      }
    }
    if (!found) throw new UnknownUnitError(unit, unitSearchPath);
  }
}

function emptyInstall(): InstallSection {
  return { wantedBy: [], requiredBy: [], alias: [], also: [], defaultInstance: undefined };
}

/** The `[Install]` section: lists accumulate over lines, an empty assignment resets, specifiers expand. */
export function parseInstallSection(text: string, name: UnitName): InstallSection {
  const install = emptyInstall();
  let section = '';
  const logical = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of logical) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1] as string;
      continue;
    }
    if (section !== 'Install') continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const words = value
      .split(/\s+/)
      .filter(Boolean)
      .map((word) => expandSpecifiers(word, name));
    const list = {
      WantedBy: install.wantedBy,
      RequiredBy: install.requiredBy,
      Alias: install.alias,
      Also: install.also,
    }[key];
    if (list) {
      if (words.length === 0) list.length = 0;
      else list.push(...words);
    } else if (key === 'DefaultInstance') {
      install.defaultInstance = value === '' ? undefined : expandSpecifiers(value, name);
    }
  }
  return install;
}

/** The specifiers systemctl expands in [Install]: %n %N %p %i %j %%. */
function expandSpecifiers(word: string, name: UnitName): string {
  return word.replace(/%([nNpij%])/g, (_, letter: string) => {
    switch (letter) {
      case 'n':
        return name.full;
      case 'N':
        return name.full.slice(0, -(name.suffix.length + 1));
      case 'p':
        return name.prefix;
      case 'i':
        return name.instance ?? '';
      case 'j':
        return name.prefix.slice(name.prefix.lastIndexOf('-') + 1);
      default:
        return '%';
    }
  });
}
