// A tiny bootable system for disk tests: Debian's kernel, an initramfs that finds the root
// partition by the PARTUUID on the kernel command line (reading the GPT itself: busybox has no
// blkid) and switch_roots into it, and a busybox root tree whose /sbin/init proves the manifest
// was applied and that the root is persistent.
import { emptyManifest, mergeManifest, type Manifest } from '@distroforge/core';
import { buildBusyboxInitramfs } from '@distroforge/initramfs-cpio';
import { execa } from 'execa';
import { chmod, copyFile, mkdir, readdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const epoch = 1_700_000_000;

/** The repository holding this file: the tests run from any clone, wherever it lives. */
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

export async function kernelFiles(): Promise<{ vmlinuz: string; modulesDir: string }> {
  const { stdout } = await execa(join(repoRoot, 'tools/fetch-kernel'), [], { timeout: 600_000 });
  const dir = stdout.trim();
  const version = (await readdir(join(dir, 'lib/modules')))[0] as string;
  return { vmlinuz: join(dir, 'boot', `vmlinuz-${version}`), modulesDir: join(dir, 'lib/modules', version) };
}

const initramfsInit = `#!/bin/sh
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in virtio_pci virtio_blk xhci_pci usb_storage sd_mod crc32c_generic ext4; do modprobe $m || echo "initramfs: modprobe $m FAILED"; done
want=$(sed -n 's/.*root=PARTUUID=\\([0-9a-f-]*\\).*/\\1/p' /proc/cmdline)
# GPT stores the first three fields of a GUID little-endian.
le=$(echo "$want" | awk -F- '{ a=""; for (i=7;i>=1;i-=2) a=a substr($1,i,2); b=substr($2,3,2) substr($2,1,2); c=substr($3,3,2) substr($3,1,2); print a b c $4 $5 }')
find_root() {
  for p in /sys/class/block/*/partition; do
    [ -f "$p" ] || continue
    d=\${p%/partition}; n=$(cat "$p"); part=\${d##*/}
    disk=$(basename "$(dirname "$(readlink -f "$d")")")
    got=$(dd if=/dev/$disk bs=512 skip=2 count=32 2>/dev/null | dd bs=1 skip=$(( (n - 1) * 128 + 16 )) count=16 2>/dev/null | hexdump -ve '1/1 "%02x"')
    if [ "$got" = "$le" ]; then echo /dev/$part; return 0; fi
  done
  return 1
}
i=0
until dev=$(find_root); do
  i=$((i + 1)); [ $i -gt 60 ] && { echo "initramfs: RESCUE: no partition $want"; exec sh; }
  sleep 1
done
echo "initramfs: root $want is $dev"
mkdir -p /newroot
mount -t ext4 -o rw "$dev" /newroot || { echo "initramfs: RESCUE: mount failed"; exec sh; }
exec switch_root /newroot /sbin/init
`;

const rootInit = `#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
echo "root-init: secret $(stat -c '%u:%g %a' /etc/secret) console $(stat -c '%F %t:%T' /dev/console)"
if [ -f /persist ]; then
  echo "DISK-SECOND-BOOT found: $(cat /persist)"
else
  echo "written on the first boot" > /persist
  echo DISK-FIRST-BOOT
fi
sync
mount -o remount,ro /
poweroff -f
`;

/** The root manifest: what a non-root build cannot put on disk. */
export const rootManifest: Manifest = mergeManifest(emptyManifest(), [
  { path: '/etc/secret', uid: 1000, gid: 1000, mode: 0o600 },
  { path: '/dev/console', type: 'char', major: 5, minor: 1, mode: 0o600 },
]);

/** A busybox root tree (every applet linked) with /sbin/init, built under `dir`. */
export async function buildRootTree(dir: string): Promise<string> {
  const root = join(dir, 'root');
  for (const sub of ['bin', 'sbin', 'etc', 'proc', 'sys', 'dev']) await mkdir(join(root, sub), { recursive: true });
  const busybox = (await execa('sh', ['-c', 'command -v busybox'])).stdout.trim();
  await copyFile(busybox, join(root, 'bin/busybox'));
  await chmod(join(root, 'bin/busybox'), 0o755);
  const applets = (await execa(busybox, ['--list'])).stdout.split('\n').filter((a) => a && a !== 'busybox');
  for (const applet of applets) await symlink('busybox', join(root, 'bin', applet));
  await writeFile(join(root, 'sbin/init'), rootInit, { mode: 0o755 });
  await writeFile(join(root, 'etc/secret'), 'only for uid 1000\n');
  await utimes(join(root, 'sbin/init'), epoch, epoch);
  return root;
}

/** The initramfs: busybox, the modules for virtio and USB-storage disks and ext4, the PARTUUID-finding init. */
export async function buildInitramfs(dir: string, modulesDir: string): Promise<string> {
  const output = join(dir, 'initrd.img');
  await buildBusyboxInitramfs({
    output,
    modules: {
      dir: modulesDir,
      names: ['virtio_pci', 'virtio_blk', 'xhci_pci', 'usb_storage', 'sd_mod', 'crc32c_generic', 'ext4'],
    },
    init: initramfsInit,
    sourceDateEpoch: epoch,
  });
  return output;
}
