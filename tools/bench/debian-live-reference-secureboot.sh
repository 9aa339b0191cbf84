#!/bin/bash
# A Secure Boot variant of the reference pipeline's ISO (issue 27), by hand with Debian's signed
# binaries, as a person would do it without distroforge: run after debian-live-reference-pipeline.sh
# on the same WORK; it reuses WORK/iso (the signed kernel from linux-image-amd64, the busybox
# initramfs, the squashfs, boot/grub/grub.cfg) and writes WORK/reference-sb.iso, UEFI only.
# Needs shim-signed and grub-efi-amd64-signed installed on the host, dosfstools, mtools and xorriso.
#
#   debian-live-reference-secureboot.sh WORK
#
# The ESP (an El Torito EFI image): shim as the removable-media loader EFI/BOOT/BOOTX64.EFI,
# Debian's signed CD GRUB (gcdx64.efi) beside it as grubx64.efi (the name shim loads), and a stub
# grub.cfg where that GRUB looks (/boot/grub on its own device, and beside it) that finds the ISO by
# its label and reads the pipeline's grub.cfg. No MokManager: nothing here enrols keys. GRUB hands
# the signed kernel to shim's verifier; the initramfs is not signed (Debian does not sign it).
set -euo pipefail

work=$1
label=REFLIVE
shim=/usr/lib/shim/shimx64.efi.signed
grub=/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed
for f in "$shim" "$grub"; do
  [ -e "$f" ] || { echo "$f missing: apt-get install shim-signed grub-efi-amd64-signed" >&2; exit 1; }
done
[ -d "$work/iso/boot" ] || { echo "$work/iso missing: run debian-live-reference-pipeline.sh on $work first" >&2; exit 1; }

step() { printf '%s %s\n' "$(date +%s.%N)" "$1" >>"$work/steps-sb.log"; }
step esp
stub=$work/sb-grub.cfg
printf 'search --no-floppy --set=root --label %s\nset prefix=($root)/boot/grub\nconfigfile $prefix/grub.cfg\n' \
  "$label" >"$stub"
esp=$work/sb-efi.img
rm -f "$esp"
# 8 MiB holds shim (~1 MiB) and GRUB (~4 MiB) with room for the FAT.
mkfs.vfat -C -n ESP "$esp" 8192 >/dev/null
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/boot ::/boot/grub
mcopy -i "$esp" "$shim" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" "$grub" ::/EFI/BOOT/grubx64.efi
mcopy -i "$esp" "$stub" ::/EFI/BOOT/grub.cfg
mcopy -i "$esp" "$stub" ::/boot/grub/grub.cfg

step iso
sbiso=$work/iso-sb
rm -rf "$sbiso"
cp -al "$work/iso" "$sbiso"
cp "$esp" "$sbiso/efi.img"
xorriso -as mkisofs -R -J -V "$label" -o "$work/reference-sb.iso" \
  -e efi.img -no-emul-boot -append_partition 2 0xef "$esp" \
  "$sbiso" >"$work/xorriso-sb.log" 2>&1
rm -rf "$sbiso"
step end
