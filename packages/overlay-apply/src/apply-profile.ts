import { sourceDateEpoch } from '@distroforge/core';
import { applyAccounts, checkAccounts } from './apply-accounts.js';
import { readFile } from 'node:fs/promises';
import { ColonFile } from './colon-file.js';
import { OverlayApplyError } from './errors.js';
import { applyServices } from './apply-services.js';
import { copyOverlay } from './copy-overlay.js';
import { finish, type ApplyResult } from './finish.js';
import { applyPermissionMap } from './permission-map.js';
import { applyProfileOptionsSchema, type ApplyProfileOptions, type ParsedProfileOptions } from './profile-schema.js';
import { assertRootDirectory } from './root-directory.js';
import { RootWriter } from './root-writer.js';
import { scanOverlay, type OverlayEntry } from './scan-overlay.js';
import { applyAutologin, gettyUnitFor } from './settings/autologin.js';
import { applyFstab } from './settings/fstab.js';
import { applyHostname } from './settings/hostname.js';
import { applyModuleOptions, applyModules, applySysctl } from './settings/kernel-config.js';
import { applyLocale } from './settings/locale.js';
import { applyMachineId } from './settings/machine-id.js';
import { applyOsRelease } from './settings/os-release.js';
import { applyTimezone, assertTimezoneExists } from './settings/timezone.js';
import { applyUpdateStamps } from './settings/update-stamps.js';
import { assertUnitsExist, findUnitFile, parseUnitName } from './unit-files.js';
import { validateOptions } from './validate-options.js';

/**
 * Applies a whole profile to a root directory, in this order: overlay, groups and users, settings,
 * autologin, services, update stamps, permissions (last, so the map overrides everything). Never runs anything
 * inside the root and never chowns: ownership ends up in the returned manifest. Applying the same
 * options again reports no changes and leaves every byte as it was.
 */
export async function applyProfile(input: ApplyProfileOptions): Promise<ApplyResult> {
  const { options, writer, overlay } = await preflight(input);
  if (overlay !== undefined) await copyOverlay(writer, overlay);
  await applyAccounts(writer, options.users, options.groups);
  await applySettings(writer, options);
  const gettys = options.autologin
    ? await applyAutologin(writer, options.autologin.user, options.autologin.consoles)
    : [];
  const warnings = await applyServices(writer, {
    ...options.services,
    enable: [
      ...options.services.enable,
      ...(options.autologin?.enable ? gettys.filter((u) => !options.services.enable.includes(u)) : []),
    ],
    mask: [...options.services.mask, ...(await firstbootMask(writer, options))],
  });
  // After the overlay, accounts and masks: the stamps vouch for the root as it now is.
  await applyUpdateStamps(writer, options.updateStamps);
  await applyPermissionMap(writer, options.permissions);
  return finish(writer, options.manifest, warnings);
}

/**
 * Checks everything applyProfile would refuse — the overlay tree, units to enable, the timezone, the
 * autologin user, accounts — against a root, writing nothing. For a caller that can learn of a bad
 * profile before slower work (the CLI checks as soon as the packages are installed).
 */
export async function checkProfile(input: ApplyProfileOptions): Promise<void> {
  await preflight(input);
}

/** Validation shared by applyProfile and checkProfile: everything that can fail before a byte is written. */
async function preflight(
  input: ApplyProfileOptions,
): Promise<{ options: ParsedProfileOptions; writer: RootWriter; overlay: OverlayEntry[] | undefined }> {
  const options = validateOptions(applyProfileOptionsSchema, input);
  await assertRootDirectory(options.root);
  const overlay = options.overlay === undefined ? undefined : await scanOverlay(options.overlay, options.root);
  const writer = new RootWriter(options.root, options.sourceDateEpoch ?? sourceDateEpoch());
  const gettyUnits = options.autologin?.enable ? options.autologin.consoles.map(gettyUnitFor) : [];
  const { enable, disable, defaultTarget } = options.services;
  await assertUnitsExist(writer, options.overlay, [
    ...enable,
    ...disable,
    ...gettyUnits,
    ...(defaultTarget === undefined ? [] : [defaultTarget]),
  ]);
  if (options.timezone !== undefined) await assertTimezoneExists(writer, options.timezone);
  if (options.autologin !== undefined) await assertAutologinUser(writer, options);
  await checkAccounts(accountFileReader(writer, overlay), options.users, options.groups, writer.epoch);
  return { options, writer, overlay };
}

async function applySettings(writer: RootWriter, options: ParsedProfileOptions): Promise<void> {
  if (options.hostname !== undefined) await applyHostname(writer, options.hostname);
  if (options.osRelease !== undefined) await applyOsRelease(writer, options.osRelease);
  if (options.motd !== undefined) await writer.writeFile('/etc/motd', options.motd);
  if (options.timezone !== undefined) await applyTimezone(writer, options.timezone);
  if (options.locale !== undefined) await applyLocale(writer, options.locale);
  if (options.sysctl !== undefined) await applySysctl(writer, options.sysctl);
  if (options.modules !== undefined) await applyModules(writer, options.modules);
  if (options.moduleOptions !== undefined) await applyModuleOptions(writer, options.moduleOptions);
  if (options.fstab !== undefined) await applyFstab(writer, options.fstab);
  await applyMachineId(writer, options.machineId);
}

/** Account files as they will be after the overlay: the overlay's own copy if it ships one (archiso style), else the root's. */
function accountFileReader(
  writer: RootWriter,
  overlay: readonly OverlayEntry[] | undefined,
): (path: string) => Promise<string | undefined> {
  return async (path) => {
    // Only a regular file of the scanned tree: an overlay symlink must not make us read the host's copy.
    const shipped = overlay?.find((entry) => entry.path === path && entry.stats.isFile());
    return shipped === undefined ? writer.readText(path) : readFile(shipped.source, 'utf8');
  };
}

/** The autologin user must exist in the root or be declared (agetty would otherwise loop on a bad login). */
async function assertAutologinUser(writer: RootWriter, options: ParsedProfileOptions): Promise<void> {
  const user = options.autologin?.user ?? 'root';
  if (options.users.some((u) => u.name === user)) return;
  if (new ColonFile(await writer.readText('/etc/passwd')).get(user)) return;
  throw new OverlayApplyError(
    'ERR_ACCOUNT_UNKNOWN',
    `autologin user ${user} is not in the root's /etc/passwd nor declared under users`,
    {
      value: user,
      hint: `declare it under users: [{ name: ${user} }] or autologin as root`,
    },
  );
}

/** With no machine-id systemd-firstboot would prompt on the console of a live system: mask it if the root has it. */
async function firstbootMask(writer: RootWriter, options: ParsedProfileOptions): Promise<string[]> {
  const unit = 'systemd-firstboot.service';
  if (options.machineId === 'keep' || options.firstboot === 'keep' || options.services.mask.includes(unit)) return [];
  const found = await findUnitFile(writer, parseUnitName(unit)).catch(() => undefined);
  return found === undefined ? [] : [unit];
}
