// The kernel modules the generated test repositories' kernel packages carry (tools/rpm-test-repo
// for rocky-live, tools/pacman-test-repo for arch-live), with their dependencies added by each.

/**
 * What @distroforge/initramfs-cpio's live initramfs loads (its LIVE_MODULES), plus virtio
 * net/console.
 */
export const BOOT_MODULES = [
  'loop',
  'squashfs',
  'erofs',
  'overlay',
  'isofs',
  'cdrom',
  'sr_mod',
  'ata_piix',
  'ahci',
  'virtio_pci',
  'virtio_blk',
  'virtio_scsi',
  'usb_storage',
  'uas',
  'xhci_pci',
  'ehci_pci',
  '9p',
  '9pnet_virtio',
  'virtiofs',
  'sd_mod',
  'nvme',
  'crc32c_generic',
  'ext4',
  'btrfs',
  'xfs',
  'virtio_net',
  'virtio_console',
];
