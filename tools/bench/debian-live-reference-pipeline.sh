#!/bin/bash
# The reference pipeline for debian-live, by hand with the host's tools (issue 27): what a person
# would script without distroforge. tools/bench/debian-live-reference.mjs times it against
# `distroforge build`. Needs root (mmdebstrap's root mode, chroot), mmdebstrap, squashfs-tools,
# busybox-static, kmod, cpio, zstd, grub-common + grub-pc-bin + grub-efi-amd64-bin, mtools, xorriso.
#
#   debian-live-reference-pipeline.sh WORK SUITE INCLUDE ARCHIVES
#     WORK      an empty directory; the ISO is WORK/reference.iso
#     SUITE     e.g. bookworm (mmdebstrap's mirrors: deb.debian.org, -updates, -security)
#     INCLUDE   packages on top of minbase, comma-separated (the profile's packages + its kernel)
#     ARCHIVES  a directory of NAME_VERSION_ARCH.deb files apt finds in its archive cache (so the
#               reference downloads only the indexes; empty for a cold package cache)
#
# Steps: 1. mmdebstrap minbase + INCLUDE (the kernel packages' update-initramfs hook left out: the
# initramfs is made in step 3, as distroforge diverts update-initramfs); 2. mksquashfs, zstd 15;
# 3. a live initramfs: busybox (static) + a short /init that loads the live modules, finds the
# medium by label, stacks a tmpfs over the squashfs and switches root; the modules are the closure
# of initramfs-cpio's LIVE_MODULES list (modprobe --show-depends) and the root's depmod index,
# cpio newc, compressed as initramfs-tools does by default (zstd -1); 4. grub-mkrescue: GRUB for
# BIOS (El Torito, i386-pc) and UEFI (efi.img, x86_64-efi) on a hybrid ISO made by xorriso.
# No Secure Boot chain (distroforge's shipped debian-live has one; its "reference settings" build
# in the bench does not).
set -euo pipefail

work=$1 suite=$2 include=$3 archives=$4
label=REFLIVE
modules=(loop squashfs erofs overlay isofs cdrom sr_mod ata_piix ahci virtio_pci virtio_blk virtio_scsi nvme sd_mod usb_storage uas xhci_pci ehci_pci)
step() { printf '%s %s\n' "$(date +%s.%N)" "$1" >>"$work/steps.log"; }

root=$work/root
iso=$work/iso
step rootfs
# 1. The root: minbase plus the packages; the cached .debs copied into apt's archive cache first.
# /usr merged by symlinks with usr-is-merged (mmdebstrap's merged-usr hooks), as distroforge and
# debootstrap set a root up: the same packages (no usrmerge conversion, no perl).
mmdebstrap --variant=minbase --include="$include" --skip=essential/unlink \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --dpkgopt='path-exclude=/etc/kernel/postinst.d/initramfs-tools' \
  --setup-hook="mkdir -p \"\$1/var/cache/apt/archives\"; if [ -n \"\$(ls $archives)\" ]; then cp -l $archives/*.deb \"\$1/var/cache/apt/archives/\"; fi" \
  --customize-hook='echo debian-live >"$1/etc/hostname"' \
  --customize-hook='chroot "$1" passwd -d root' \
  "$suite" "$root" >"$work/mmdebstrap.log" 2>&1

kver=$(basename "$(ls -d "$root"/lib/modules/* | sort -V | tail -1)")
mkdir -p "$iso/live" "$iso/boot/grub"
cp "$root/boot/vmlinuz-$kver" "$iso/boot/vmlinuz"

step squashfs
# 2. The root image (/boot stays in it, as in a live-build image).
mksquashfs "$root" "$iso/live/filesystem.squashfs" -comp zstd -Xcompression-level 15 -noappend -quiet -no-progress \
  >"$work/mksquashfs.log"

step initramfs
# 3. The live initramfs.
initrd=$work/initrd
mkdir -p "$initrd"/{bin,dev,proc,sys,run,mnt/medium,mnt/image,mnt/rw,newroot}
cp /bin/busybox "$initrd/bin/busybox"
for applet in sh mount umount mkdir modprobe insmod findfs losetup switch_root sleep cat echo; do
  ln -s busybox "$initrd/bin/$applet"
done
for m in "${modules[@]}"; do
  modprobe -d "$root" -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" { print $2 }'
done | sort -u | while read -r file; do
  rel=${file#"$root"/}
  rel=lib/modules/${rel#*lib/modules/}
  mkdir -p "$initrd/$(dirname "$rel")"
  cp "$file" "$initrd/$rel"
done
cp "$root/lib/modules/$kver"/modules.{dep,dep.bin,alias,alias.bin,softdep,symbols.bin,builtin,builtin.bin,order} \
  "$initrd/lib/modules/$kver/" 2>/dev/null || true
cat >"$initrd/init" <<EOF
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in ${modules[*]}; do modprobe -q \$m; done
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  medium=\$(findfs LABEL=$label 2>/dev/null) && break; sleep 0.5
done
mount -r -t iso9660 "\$medium" /mnt/medium
mount -r -t squashfs -o loop /mnt/medium/live/filesystem.squashfs /mnt/image
mount -t tmpfs tmpfs /mnt/rw; mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay overlay -o lowerdir=/mnt/image,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work /newroot
umount /proc /sys; mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
EOF
chmod 755 "$initrd/init"
(cd "$initrd" && find . | LC_ALL=C sort | cpio -o -H newc --reproducible --quiet | zstd -q -1 -T0 >"$iso/boot/initrd.img")

step iso
# 4. GRUB for BIOS and UEFI, and the hybrid ISO (grub-mkrescue runs xorriso).
cat >"$iso/boot/grub/grub.cfg" <<EOF
set timeout=0
menuentry "debian-live (reference)" {
  linux /boot/vmlinuz console=tty0 console=ttyS0,115200
  initrd /boot/initrd.img
}
EOF
grub-mkrescue -o "$work/reference.iso" "$iso" -- -volid "$label" >"$work/grub-mkrescue.log" 2>&1
step end
