import type { ToolSpec } from './find-tool.js';

/**
 * The external tools distroforge uses, with the Debian package that provides each. Packages pass
 * these to `findTool` so a missing tool always comes with the same install command.
 */
export const knownTools = {
  qemu: { names: ['qemu-system-x86_64'], install: 'apt-get install qemu-system-x86' },
  qemuImg: { names: ['qemu-img'], install: 'apt-get install qemu-utils' },
  mksquashfs: { names: ['mksquashfs'], install: 'apt-get install squashfs-tools', versionArgs: ['-version'] },
  unsquashfs: { names: ['unsquashfs'], install: 'apt-get install squashfs-tools', versionArgs: ['-version'] },
  mkfsErofs: { names: ['mkfs.erofs'], install: 'apt-get install erofs-utils', versionArgs: ['-V'] },
  dumpErofs: { names: ['dump.erofs'], install: 'apt-get install erofs-utils', versionArgs: ['-V'] },
  xorriso: { names: ['xorriso'], install: 'apt-get install xorriso', versionArgs: ['-version'] },
  grubMkimage: { names: ['grub-mkimage'], install: 'apt-get install grub-common grub-pc-bin grub-efi-amd64-bin' },
  mtools: { names: ['mcopy'], install: 'apt-get install mtools', versionArgs: ['--version'] },
  mkfsVfat: { names: ['mkfs.vfat', 'mkfs.fat'], install: 'apt-get install dosfstools', versionArgs: ['--help'] },
  mkfsExt4: { names: ['mkfs.ext4'], install: 'apt-get install e2fsprogs', versionArgs: ['-V'] },
  // No version option: runs `eatmydata -- true`, which prints nothing (version unknown).
  eatmydata: { names: ['eatmydata'], install: 'apt-get install eatmydata', versionArgs: ['--', 'true'] },
  filefrag: { names: ['filefrag'], install: 'apt-get install e2fsprogs', versionArgs: ['-V'] },
  debugfs: { names: ['debugfs'], install: 'apt-get install e2fsprogs', versionArgs: ['-V'] },
  dpkg: { names: ['dpkg'], install: 'apt-get install dpkg' },
  zstd: { names: ['zstd'], install: 'apt-get install zstd', versionArgs: ['-V'] },
  xz: { names: ['xz'], install: 'apt-get install xz-utils' },
  bzip2: { names: ['bzip2'], install: 'apt-get install bzip2' },
  cpio: { names: ['cpio'], install: 'apt-get install cpio' },
  depmod: { names: ['depmod'], install: 'apt-get install kmod', versionArgs: ['--version'] },
  busybox: { names: ['busybox'], install: 'apt-get install busybox-static', versionArgs: ['--help'] },
  rpm: { names: ['rpm'], install: 'apt-get install rpm' },
  rpmbuild: { names: ['rpmbuild'], install: 'apt-get install rpm' },
  // --kill-child (2.32) ties the namespaces' life to the command's.
  unshare: { names: ['unshare'], install: 'apt-get install util-linux', minVersion: '2.32' },
  nsenter: { names: ['nsenter'], install: 'apt-get install util-linux', minVersion: '2.32' },
  // shadow's id mappers print no version; they must be setuid root (the uidmap package makes them so).
  newuidmap: {
    names: ['newuidmap'],
    install: 'apt-get install uidmap',
    versionArgs: [],
    parseVersion: () => undefined,
  },
  getfattr: { names: ['getfattr'], install: 'apt-get install attr' },
  setfattr: { names: ['setfattr'], install: 'apt-get install attr' },
  newgidmap: {
    names: ['newgidmap'],
    install: 'apt-get install uidmap',
    versionArgs: [],
    parseVersion: () => undefined,
  },
} as const satisfies Record<string, ToolSpec>;
