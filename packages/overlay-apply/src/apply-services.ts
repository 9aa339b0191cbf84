import { readdir, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { OverlayApplyError, UnknownUnitError } from './errors.js';
import type { RootWriter } from './root-writer.js';
import { findUnitFile, parseInstallSection, parseUnitName, unitConfigDir, type UnitName } from './unit-files.js';

export interface ServicesPlan {
  enable: readonly string[];
  disable: readonly string[];
  mask: readonly string[];
  defaultTarget?: string | undefined;
}

/**
 * `systemctl --root` without systemctl: disable, then enable, then mask, then the default
 * target, each by creating or removing the same symlinks systemctl would. Warnings (a unit
 * without an [Install] section, a template without an instance) are returned, as systemctl prints them.
 */
export async function applyServices(writer: RootWriter, plan: ServicesPlan): Promise<string[]> {
  const warnings: string[] = [];
  for (const unit of plan.disable) await disableUnit(writer, parseUnitName(unit), new Set());
  for (const unit of plan.enable) await enableUnit(writer, parseUnitName(unit), new Set(), warnings);
  for (const unit of plan.mask) await maskUnit(writer, parseUnitName(unit));
  if (plan.defaultTarget !== undefined) {
    const target = parseUnitName(plan.defaultTarget);
    const file = await findUnitFile(writer, target);
    await writer.symlink(`${unitConfigDir}/default.target`, file.path);
  }
  return warnings;
}

export async function enableUnit(
  writer: RootWriter,
  asked: UnitName,
  seen: Set<string>,
  warnings: string[],
): Promise<void> {
  if (seen.has(asked.full)) return;
  seen.add(asked.full);
  const file = await findUnitFile(writer, asked);
  const requested = file.name;
  if (file.masked) {
    throw new OverlayApplyError('ERR_UNIT_MASKED', `cannot enable ${requested.full}: it is masked`, {
      value: requested.full,
      hint: "remove it from services.mask (or the overlay's /dev/null symlink)",
    });
  }
  let name = requested;
  let install = file.install;
  if (requested.instance === '' && install.defaultInstance !== undefined) {
    name = parseUnitName(`${requested.prefix}@${install.defaultInstance}.${requested.suffix}`);
    install = parseInstallSection(file.text, name);
  }
  const hasInstall =
    install.wantedBy.length + install.requiredBy.length + install.alias.length + install.also.length > 0;
  if (!hasInstall) warnings.push(`${requested.full} has no [Install] section; nothing to enable (static unit)`);
  if (name.instance === '' && install.wantedBy.length + install.requiredBy.length > 0) {
    warnings.push(
      `${requested.full} is a template without DefaultInstance; name an instance such as ${name.prefix}@NAME.${name.suffix}`,
    );
  } else {
    for (const target of install.wantedBy)
      await link(writer, `${unitConfigDir}/${target}.wants/${name.full}`, file.path, requested);
    for (const target of install.requiredBy)
      await link(writer, `${unitConfigDir}/${target}.requires/${name.full}`, file.path, requested);
  }
  for (const alias of install.alias) {
    const path = `${unitConfigDir}/${instantiate(alias, requested)}`;
    if (path !== file.path) await link(writer, path, file.path, requested);
  }
  for (const also of install.also) {
    // As systemctl: a missing auxiliary unit is a warning, not a failure.
    await enableUnit(writer, parseUnitName(also), seen, warnings).catch((error: unknown) => {
      if (!(error instanceof UnknownUnitError)) throw error;
      warnings.push(`failed to enable auxiliary unit ${also} of ${requested.full}, ignoring: not found`);
    });
  }
}

/** Creates an enablement symlink; like systemctl (without --force), never replaces one that points elsewhere. */
async function link(writer: RootWriter, path: string, target: string, unit: UnitName): Promise<void> {
  const physical = await writer.locate(path);
  const stats = await writer.lstatIn(physical);
  if (stats !== undefined) {
    const existing = stats.isSymbolicLink() ? await readlink(writer.host(physical)) : undefined;
    if (existing !== target) {
      throw new OverlayApplyError(
        'ERR_UNIT_CONFLICT',
        `cannot enable ${unit.full}: ${path} already exists${existing === undefined ? '' : ` and points to ${existing}`}`,
        {
          path,
          value: unit.full,
          hint: 'disable the unit that owns this name first (services.disable), or remove the file from the overlay',
        },
      );
    }
  }
  await writer.symlink(path, target);
}

/** A template alias (`job@.service`) of an instance becomes that instance (`job@x.service`). */
function instantiate(alias: string, name: UnitName): string {
  const template = /^(.+)@\.([a-z]+)$/.exec(alias);
  return template && name.instance ? `${template[1]}@${name.instance}.${template[2]}` : alias;
}

export async function disableUnit(writer: RootWriter, asked: UnitName, seen: Set<string>): Promise<void> {
  if (seen.has(asked.full)) return;
  seen.add(asked.full);
  const file = await findUnitFile(writer, asked);
  const requested = file.name;
  if (file.masked) return;
  const names = new Set([requested.full]);
  if (requested.instance === '' && file.install.defaultInstance !== undefined) {
    names.add(`${requested.prefix}@${file.install.defaultInstance}.${requested.suffix}`);
  }
  const config = await writer.resolve(unitConfigDir);
  const top = await writer.lstatIn(config);
  if (top?.isDirectory()) {
    const entries = (await readdir(writer.host(config), { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    );
    for (const entry of entries) {
      const path = posix.join(config, entry.name);
      if (entry.isDirectory() && /\.(wants|requires|upholds)$/.test(entry.name)) {
        for (const link of (await readdir(writer.host(path))).sort()) {
          if (names.has(link)) await removeLinkTo(writer, posix.join(path, link), file.path);
        }
      } else if (entry.isSymbolicLink() && isAliasOf(entry.name, file.install.alias, requested)) {
        await removeLinkTo(writer, path, file.path);
      }
    }
  }
  for (const also of file.install.also) {
    await disableUnit(writer, parseUnitName(also), seen).catch((error: unknown) => {
      if (!(error instanceof UnknownUnitError)) throw error;
    });
  }
}

function isAliasOf(linkName: string, aliases: readonly string[], name: UnitName): boolean {
  return aliases.some((alias) => {
    if (instantiate(alias, name) === linkName) return true;
    const template = /^(.+)@\.([a-z]+)$/.exec(alias);
    return (
      template !== null &&
      name.instance === '' &&
      linkName.startsWith(`${template[1]}@`) &&
      linkName.endsWith(`.${template[2]}`)
    );
  });
}

/** Removes a symlink that points at the unit file (by its file name, as systemctl matches it). */
async function removeLinkTo(writer: RootWriter, physical: string, unitPath: string): Promise<void> {
  const stats = await writer.lstatIn(physical);
  if (!stats?.isSymbolicLink()) return;
  const target = await readlink(writer.host(physical));
  if (posix.basename(target) === posix.basename(unitPath)) await writer.remove(physical);
}

export async function maskUnit(writer: RootWriter, name: UnitName): Promise<void> {
  const path = `${unitConfigDir}/${name.full}`;
  const physical = await writer.locate(path);
  const stats = await writer.lstatIn(physical);
  if (stats && !stats.isSymbolicLink()) {
    throw new OverlayApplyError(
      'ERR_UNIT_CONFLICT',
      `cannot mask ${name.full}: ${path} is a real unit file, not a symlink`,
      {
        path,
        value: name.full,
        hint: 'remove the unit file from the overlay, or do not mask it',
      },
    );
  }
  await writer.symlink(path, '/dev/null');
}
