import type { Profile } from './profile-schema.js';

type SourceType = Profile['source']['type'];

/**
 * What a package entry must look like beyond the general rule (profile-schema's `packageName`),
 * checked when the profile loads so a bad entry is named at its line, not reported as "invalid
 * option include.0" once resolution starts. apt takes Debian policy names only (no `:arch`, no
 * `@group`); RPM sources take the general rule (names, name.arch, @group); pacman sources names,
 * provided names and groups; busybox installs none.
 */
export const packageNameRules: Partial<Record<SourceType, { pattern: RegExp; says: string }>> = {
  apt: {
    pattern: /^[a-z0-9][a-z0-9+.-]+$/,
    says: 'a Debian package name is lower-case letters, digits, + - . (at least two characters)',
  },
  // A pacman package, provided name or group (pacman's names: letters, digits, @ . _ + -, not starting with - or .).
  pacman: {
    pattern: /^[A-Za-z0-9@_+][A-Za-z0-9@._+-]*$/,
    says: 'a pacman name is letters, digits and @ . _ + - (not starting with - or .)',
  },
  'pacman-dir': {
    pattern: /^[A-Za-z0-9@_+][A-Za-z0-9@._+-]*$/,
    says: 'a pacman name is letters, digits and @ . _ + - (not starting with - or .)',
  },
};

/**
 * Profile keys a busybox root cannot honour (it is busybox, an init script and the overlay: no
 * account database, no service manager, no package root), with why. Setting one is an error, not
 * a silently different image.
 */
export const busyboxUnsupportedKeys: Readonly<Record<string, string>> = {
  packages: 'a busybox source installs no packages',
  extraPackageFiles: 'a busybox source has no package root to install package files into',
  users: 'a busybox root has no account database to add users to',
  groups: 'a busybox root has no account database to add groups to',
  services: 'a busybox root has no service manager (its init is a script)',
  permissions: 'a busybox root takes its files\u2019 modes from airootfs/ as they are, owned by root',
  autologin: 'a busybox root opens a root shell on the console already',
  sysctl: 'a busybox root has no sysctl.d to write settings to',
  modules: 'a busybox root loads its modules from kernel.modules',
  timezone: 'a busybox root has no zoneinfo',
  locale: 'a busybox root has no locales',
  image: 'a busybox source builds no root image',
  disk: 'a busybox source builds no disk image',
  scripts: 'a busybox root is built in one stage, with no phases to run scripts in',
  extraTrees: 'a busybox root takes its files from airootfs/ only',
};
