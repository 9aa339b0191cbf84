// The kernel modules the generated test repositories' kernel packages carry (tools/rpm-test-repo
// for rocky-live, tools/pacman-test-repo for arch-live), and their closure in a kernel's module tree.
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

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

/**
 * The module files (relative to `modulesDir`, a kernel's lib/modules/VERSION) of BOOT_MODULES with
 * their dependencies and soft dependencies, names resolved through modules.alias; sorted.
 */
export async function bootModuleFiles(modulesDir) {
  const lines = async (name) => (await readFile(join(modulesDir, name), 'utf8')).split('\n');
  const deps = new Map();
  for (const line of await lines('modules.dep')) {
    const [file, rest = ''] = line.split(':');
    if (file) deps.set(moduleName(file), { file, deps: rest.trim().split(/\s+/).filter(Boolean) });
  }
  const aliases = new Map();
  for (const line of await lines('modules.alias')) {
    const [word, alias, name] = line.split(' ');
    if (word === 'alias' && name && !aliases.has(alias)) aliases.set(alias.replace(/-/g, '_'), name);
  }
  const softdeps = new Map();
  for (const line of await lines('modules.softdep')) {
    const [word, name, ...rest] = line.trim().split(/\s+/);
    if (word === 'softdep' && name)
      softdeps.set(
        moduleName(name),
        rest.filter((w) => w !== 'pre:' && w !== 'post:'),
      );
  }
  const wanted = new Set();
  const visit = (name) => {
    const key = moduleName(name);
    const entry = deps.get(key) ?? deps.get(moduleName(aliases.get(key) ?? ''));
    if (!entry || wanted.has(entry.file)) return;
    wanted.add(entry.file);
    for (const d of entry.deps) visit(d);
    for (const d of softdeps.get(moduleName(entry.file)) ?? []) visit(d);
  };
  for (const name of BOOT_MODULES) visit(name);
  return [...wanted].sort();
}

/** A module's name as modprobe compares it: no directory, no .ko(.xz|.gz|.zst), dashes as underscores. */
function moduleName(file) {
  return basename(file)
    .replace(/\.ko(\.[gx]z|\.zst)?$/, '')
    .replace(/-/g, '_');
}
