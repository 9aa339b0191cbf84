#!/bin/bash
# Boots the macOS guest of this KVM host: QEMU/KVM with OVMF (UEFI), the OpenCore boot image and the
# macOS disk, its display over SPICE (connect with `spicy -h 127.0.0.1 -p PORT` or remote-viewer).
# Settings come from /etc/default/macos-vm (see there); nothing here is Apple's: the OpenCore image,
# the installer and Apple's SMC key (OSK) are the user's to provide.
#
#   launch-macos.sh            start the guest (in the foreground; Ctrl-C in QEMU's monitor quits)
#   launch-macos.sh --check    check the host and the settings, start nothing
#   launch-macos.sh --help     this text
set -euo pipefail

CONFIG=${MACOS_VM_CONFIG:-/etc/default/macos-vm}
# shellcheck source=/dev/null
[ -r "$CONFIG" ] && . "$CONFIG"
: "${VM_NAME:=macos}" "${VM_DIR:=/var/lib/macos-vm}" "${MEMORY:=8G}" "${CPUS:=4}" "${SPICE_PORT:=5930}"
: "${OPENCORE:=$VM_DIR/OpenCore.qcow2}" "${DISK:=$VM_DIR/macos.qcow2}" "${INSTALLER:=}" "${OSK_FILE:=$VM_DIR/osk.txt}"
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS_TEMPLATE=/usr/share/OVMF/OVMF_VARS_4M.fd
VARS=$VM_DIR/OVMF_VARS.fd

usage() { sed -n '2,9s/^# \{0,1\}//p' "$0"; }
problems=()
need() { [ -e "$1" ] || problems+=("$2: $1 is missing${3:+ ($3)}"); }

check() {
  command -v qemu-system-x86_64 >/dev/null || problems+=("qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)")
  need "$OVMF_CODE" "UEFI firmware" "apt-get install ovmf"
  need "$OVMF_VARS_TEMPLATE" "UEFI variable store template" "apt-get install ovmf"
  [ -w /dev/kvm ] || problems+=("/dev/kvm is not usable by $(id -un): add the user to group kvm, and check that kvm_intel is loaded")
  [ "$(cat /sys/module/kvm/parameters/ignore_msrs 2>/dev/null)" = Y ] || problems+=("kvm.ignore_msrs is off: macOS crashes on MSRs KVM does not know (see /etc/modprobe.d/distroforge.conf)")
}

check_guest() {
  need "$OPENCORE" "OpenCore boot image" "set OPENCORE in $CONFIG"
  need "$DISK" "macOS disk" "qemu-img create -f qcow2 $DISK 128G"
  need "$OSK_FILE" "Apple SMC key (one line)" "set OSK_FILE in $CONFIG"
  [ -z "$INSTALLER" ] || need "$INSTALLER" "macOS installer image"
}

report() {
  if [ "${#problems[@]}" -gt 0 ]; then
    printf 'launch-macos: %s\n' "${problems[@]}" >&2
    return 1
  fi
}

case "${1:-}" in
  --help | -h) usage; exit 0 ;;
  --check)
    check
    report || exit 1
    echo "launch-macos: the host is ready (KVM, OVMF, ignore_msrs); guest files are checked at start"
    exit 0 ;;
  "") ;;
  *) echo "launch-macos: unknown argument $1 (try --help)" >&2; exit 2 ;;
esac

check
check_guest
report || exit 1
[ -e "$VARS" ] || cp "$OVMF_VARS_TEMPLATE" "$VARS"
args=(
  -name "$VM_NAME" -enable-kvm -machine q35,accel=kvm -m "$MEMORY" -smp "$CPUS",cores="$CPUS"
  -cpu Penryn,kvm=on,vendor=GenuineIntel,+invtsc,vmware-cpuid-freq=on,+ssse3,+sse4.2,+popcnt,+avx,+aes,+xsave,+xsaveopt,check
  -device isa-applesmc,osk="$(tr -d '\n' < "$OSK_FILE")" -smbios type=2 -usb -device usb-ehci -device usb-kbd -device usb-tablet
  -drive if=pflash,format=raw,readonly=on,file="$OVMF_CODE" -drive if=pflash,format=raw,file="$VARS"
  -device ich9-ahci,id=sata
  -drive id=opencore,if=none,format=qcow2,file="$OPENCORE" -device ide-hd,bus=sata.0,drive=opencore,bootindex=1
  -drive id=system,if=none,format=qcow2,file="$DISK" -device ide-hd,bus=sata.1,drive=system
  -netdev bridge,id=net0,br=br0 -device virtio-net-pci,netdev=net0
  -vga qxl -spice port="$SPICE_PORT",addr=127.0.0.1,disable-ticketing=on
)
if [ -n "$INSTALLER" ]; then
  args+=(-drive id=installer,if=none,format=raw,file="$INSTALLER" -device ide-hd,bus=sata.2,drive=installer)
fi
echo "launch-macos: SPICE display on 127.0.0.1:$SPICE_PORT (spicy -h 127.0.0.1 -p $SPICE_PORT)"
exec qemu-system-x86_64 "${args[@]}"
