import { isoPaths } from './options.js';

/** One graft: `source` on disk appears at `path` in the ISO. */
export interface Graft {
  path: string;
  source: string;
}

export interface XorrisoPlan {
  output: string;
  label: string;
  sourceDateEpoch: number;
  grafts: readonly Graft[];
  /** GRUB's boot_hybrid.img when BIOS boot is wanted (the El Torito image is then at isoPaths.eltorito). */
  biosHybridMbr?: string | undefined;
  /** The FAT ESP image when UEFI boot is wanted. */
  espImage?: string | undefined;
  /** GPT disk GUID (32 hex digits, on-disk order); partition GUIDs are derived from it by xorriso. */
  gptDiskGuid?: string | undefined;
}

/**
 * xorriso's arguments (mkisofs emulation) for a hybrid image: ISO 9660 + Rock Ridge + Joliet;
 * BIOS El Torito with GRUB's hybrid MBR (so the file also boots as a USB disk, where the MBR
 * loads the same core image); the ESP appended as GPT partition 2 and used as the El Torito EFI
 * image. Every file date is the epoch; SOURCE_DATE_EPOCH (set in the environment) fixes the
 * volume UUID (which ISO 9660 takes from the volume date); the GPT GUIDs come from the inputs.
 */
export function xorrisoArgs(plan: XorrisoPlan): string[] {
  // -stdio_sync off: no fsync every 16 MiB of output. The image is renamed into place only when
  // complete, and each fsync also forces out every other file being written (the disk image
  // built beside it), which made a parallel build wait on the device.
  const args = [
    '-no_rc',
    '-report_about',
    'WARNING',
    '-stdio_sync',
    'off',
    '-volume_date',
    'all_file_dates',
    `=${plan.sourceDateEpoch}`,
  ];
  if (plan.gptDiskGuid !== undefined) args.push('-boot_image', 'any', `gpt_disk_guid=${plan.gptDiskGuid}`);
  args.push('-as', 'mkisofs', '-o', plan.output, '-V', plan.label, '-iso-level', '3', '-r', '-J', '-joliet-long');
  // The ISO filesystem also starts 16 blocks into partition 1, so it mounts from the partition too.
  args.push('-partition_offset', '16');
  if (plan.biosHybridMbr !== undefined) args.push('--grub2-mbr', plan.biosHybridMbr, '--mbr-force-bootable');
  if (plan.espImage !== undefined) {
    args.push('-append_partition', '2', '0xef', plan.espImage, '-appended_part_as_gpt');
  }
  args.push('-c', isoPaths.bootCatalog);
  if (plan.biosHybridMbr !== undefined) {
    args.push(
      '-b',
      isoPaths.eltorito,
      '-no-emul-boot',
      '-boot-load-size',
      '4',
      '-boot-info-table',
      '--grub2-boot-info',
    );
  }
  if (plan.espImage !== undefined) {
    if (plan.biosHybridMbr !== undefined) args.push('-eltorito-alt-boot');
    args.push('-e', '--interval:appended_partition_2:all::', '-no-emul-boot');
  }
  args.push('-graft-points');
  const sorted = [...plan.grafts].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const graft of sorted) args.push(`${escapeGraft(graft.path)}=${escapeGraft(graft.source)}`);
  return args;
}

/** mkisofs pathspecs treat `=` as the separator and `\` as its escape. */
function escapeGraft(path: string): string {
  return path.replaceAll('\\', '\\\\').replaceAll('=', '\\=');
}
