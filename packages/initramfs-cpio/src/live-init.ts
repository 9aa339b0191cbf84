import { z } from 'zod';
import { parseOptions } from '@distroforge/core';
import { shellQuote } from './default-init.js';
import { invalidOptions } from './errors.js';

/** The modules a live boot may need: loop + image filesystems, overlay, CD/virtio/USB media, 9p/virtiofs. */
export const LIVE_MODULES = [
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
  // A persistent root on a disk partition (live.root=disk): SCSI/USB disks and the root filesystems.
  'sd_mod',
  'nvme',
  'crc32c_generic',
  'ext4',
  'btrfs',
  'xfs',
] as const;

const word = z.string().regex(/^[^\s'"`$\\]*$/, 'no spaces, quotes, $, ` or \\');

export const liveInitOptionsSchema = z
  .object({
    /**
     * Modules to modprobe before looking for the medium (default LIVE_MODULES; missing ones are
     * reported and skipped). Which of them load is `loadModules`'s choice. `live.modules=a,b` on the
     * kernel command line replaces the list and loads all of it.
     */
    modules: z.array(z.string().regex(/^[\w-]+$/)).optional(),
    /**
     * `needed`: load the modules of the list this boot needs, decided at boot from the command line:
     * 9p + 9pnet_virtio only for `live.root=9p`, virtiofs only for `live.root=virtiofs`, ext4/btrfs/xfs
     * (and crc32c_generic for ext4/btrfs: busybox modprobe does not follow softdeps) only as the
     * `live.root=disk` root's `rootfstype=` (default ext4) or the `live.persistence=` partition's
     * `live.persistencefs=`; squashfs/erofs only as the root image's type; loop and isofs only for an
     * image file on a medium; the storage drivers only for the devices the command line names
     * (`/dev/vd*` alone: virtio_pci + virtio_blk; `/dev/nvme*` alone: nvme; none for a 9p/virtiofs
     * root; a label, UUID, PARTUUID or any other name: every one, USB's only once a device is not
     * found on the other controllers); every other module always. The skipped ones are named in one
     * log line, the deferred ones in another.
     * `all`: load every module of the list. Default: `needed` when `modules` is omitted (the default
     * list), `all` when `modules` is given (the caller chose them); a `live.modules=` on the kernel
     * command line always loads all of its list.
     */
    loadModules: z.enum(['needed', 'all']).optional(),
    /**
     * Where the root comes from: a squashfs/EROFS image on a boot medium, a host directory over 9p
     * or virtiofs, or a persistent root partition (`disk`: the kernel's `root=`, `rootfstype=`,
     * `rw`/`ro`; mounted as is, no overlay; a read-only `rootfstype=squashfs|erofs` gets the overlay
     * like an image). `live.root=`
     */
    root: z.enum(['image', '9p', 'virtiofs', 'disk']).default('image'),
    /** Filesystem label of the boot medium (`live.label=`). */
    label: word.optional(),
    /** Filesystem UUID of the boot medium (`live.uuid=`). */
    uuid: word.optional(),
    /** A device path, used as is instead of searching by label/UUID (`live.device=`). */
    device: word.optional(),
    /** Path of the image on the medium; empty: the medium itself is the image (`live.image=`). */
    image: word.default('/live/filesystem.squashfs'),
    /**
     * Read-only images stacked above the root image, lowest first (`live.layers=a,b`): paths on the
     * boot medium (e.g. the profile's overlay as `/live/overlay.squashfs` over the bootstrapped
     * root) or devices (`/dev/vdb`, `LABEL=`, `UUID=`, `PARTUUID=`). Whiteouts in a layer hide what
     * is below it.
     */
    layers: z
      .array(
        word.regex(
          /^(\/|LABEL=|UUID=|PARTUUID=)[^,]*$/,
          'an absolute path or a LABEL=/UUID=/PARTUUID= device, without commas',
        ),
      )
      .default([]),
    /** `squashfs` or `erofs` (`live.fstype=`). */
    imageType: z.enum(['squashfs', 'erofs']).default('squashfs'),
    /** Copy the image to RAM and release the medium (`live.copytoram`, `live.copytoram=0`). */
    copyToRam: z.boolean().default(false),
    /** Seconds to wait for the medium (`live.timeout=`). */
    timeout: z.number().int().min(1).default(30),
    /** The init of the live system (`live.init=`). */
    init: word.default('/sbin/init'),
    /** 9p mount tag or virtiofs tag of the shared root (`live.tag=`). */
    tag: word.default('rootfs'),
    /** Size of the tmpfs holding the overlay's upper layer (`live.overlaysize=`). */
    overlaySize: word.default('50%'),
    /**
     * A writable partition (PARTUUID=, UUID=, LABEL= or a device) that holds the overlay's upper
     * layer instead of a tmpfs, so changes survive a reboot; when it is absent or will not mount the
     * boot goes on with the tmpfs and says so (`live.persistence=`).
     */
    persistence: word.optional(),
    /** Filesystem of the persistence partition (`live.persistencefs=`). */
    persistenceType: word.default('ext4'),
  })
  .strict();
export type LiveInitOptions = z.input<typeof liveInitOptionsSchema>;

/**
 * Generates the /init of a live system (busybox sh). It loads modules, finds the boot medium by
 * label or UUID (`findfs`, polled until the timeout), mounts it, loop-mounts the squashfs/EROFS
 * image (optionally copied to RAM) or mounts a 9p/virtiofs share, stacks an overlayfs with a tmpfs
 * upper layer (or one on a persistence partition) and `switch_root`s into the real init. Every choice can be overridden on the kernel
 * command line (`live.*=`); `break=modules|medium|image|overlay|init` stops at that point with a
 * shell; on failure a rescue shell starts after printing why (`live: RESCUE: ...`).
 *
 * Progress lines start with `live: `; the last one before switch_root is `live: switching to INIT`.
 */
export function liveInitScript(options: LiveInitOptions = {}): string {
  const o = parseOptions(liveInitOptionsSchema, options, invalidOptions('liveInitScript'));
  const q = shellQuote;
  const modules = o.modules ?? [...LIVE_MODULES];
  const load = o.loadModules ?? (o.modules === undefined ? 'needed' : 'all');
  return `#!/bin/sh
# live-boot /init generated by @distroforge/initramfs-cpio
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

LIVE_MODULES=${q(modules.join(' '))}
LIVE_MODULES_LOAD=${load}
LIVE_ROOT=${q(o.root)}
LIVE_LABEL=${q(o.label ?? '')}
LIVE_UUID=${q(o.uuid ?? '')}
LIVE_DEVICE=${q(o.device ?? '')}
LIVE_IMAGE=${q(o.image)}
LIVE_FSTYPE=${q(o.imageType)}
LIVE_LAYERS=${q(o.layers.join(','))}
LOWER=
LIVE_COPYTORAM=${o.copyToRam ? 1 : 0}
LIVE_TIMEOUT=${o.timeout}
LIVE_INIT=${q(o.init)}
LIVE_TAG=${q(o.tag)}
LIVE_OVERLAYSIZE=${q(o.overlaySize)}
LIVE_PERSISTENCE=${q(o.persistence ?? '')}
LIVE_PERSISTENCEFS=${q(o.persistenceType)}
LIVE_BREAK=
ROOT_SPEC=
ROOT_FSTYPE=ext4
ROOT_MODE=ro
NEWROOT=/newroot
LIVE_DIR=/run/live
SYSFS=/sys
DEVFS=/dev

log() { echo "live: $*"; }

# Stops here for good: says why, then gives the console a shell.
rescue() {
  echo "live: RESCUE: $*"
  echo "live: starting a rescue shell (the system cannot continue)"
  shell
  while true; do shell; done
}

shell() { setsid cttyhack sh; }

# break=POINT: a shell at that point; leaving it continues the boot.
maybe_break() {
  if [ "$LIVE_BREAK" = "$1" ]; then
    log "break=$1: starting a shell; exit it to continue"
    shell
  fi
}

parse_cmdline() {
  for arg in $1; do
    case "$arg" in
      live.root=*) LIVE_ROOT="\${arg#*=}" ;;
      live.label=*) LIVE_LABEL="\${arg#*=}" ;;
      live.uuid=*) LIVE_UUID="\${arg#*=}" ;;
      live.device=*) LIVE_DEVICE="\${arg#*=}" ;;
      live.image=*) LIVE_IMAGE="\${arg#*=}" ;;
      live.fstype=*) LIVE_FSTYPE="\${arg#*=}" ;;
      live.layers=*) LIVE_LAYERS="\${arg#*=}" ;;
      live.copytoram|live.copytoram=1|live.copytoram=yes) LIVE_COPYTORAM=1 ;;
      live.copytoram=0|live.copytoram=no) LIVE_COPYTORAM=0 ;;
      live.timeout=*) LIVE_TIMEOUT="\${arg#*=}" ;;
      live.init=*) LIVE_INIT="\${arg#*=}" ;;
      live.tag=*) LIVE_TAG="\${arg#*=}" ;;
      live.overlaysize=*) LIVE_OVERLAYSIZE="\${arg#*=}" ;;
      live.persistence=*) LIVE_PERSISTENCE="\${arg#*=}" ;;
      live.persistencefs=*) LIVE_PERSISTENCEFS="\${arg#*=}" ;;
      live.modules=*) LIVE_MODULES="$(echo "\${arg#*=}" | tr ',' ' ')"; LIVE_MODULES_LOAD=all ;;
      break=*) LIVE_BREAK="\${arg#*=}" ;;
      break) LIVE_BREAK=medium ;;
      live.debug) set -x ;;
      root=*) ROOT_SPEC="\${arg#*=}" ;;
      rootfstype=*) ROOT_FSTYPE="\${arg#*=}" ;;
      rw) ROOT_MODE=rw ;;
      ro) ROOT_MODE=ro ;;
    esac
  done
}

mount_basics() {
  mount -t proc proc /proc
  mount -t sysfs sysfs /sys
  mount -t devtmpfs devtmpfs /dev 2>/dev/null
  mkdir -p /dev/pts /run /tmp
  mount -t devpts devpts /dev/pts 2>/dev/null
}

# Whether this boot's root or persistence partition is a $1 filesystem.
fs_needed() {
  { [ "$LIVE_ROOT" = disk ] && [ "$ROOT_FSTYPE" = "$1" ]; } || { [ -n "$LIVE_PERSISTENCE" ] && [ "$LIVE_PERSISTENCEFS" = "$1" ]; }
}

# Whether the root image (or a read-only image as the disk root) is a $1 filesystem.
image_fs_needed() {
  { [ "$LIVE_ROOT" = image ] && [ "$LIVE_FSTYPE" = "$1" ]; } || { [ "$LIVE_ROOT" = disk ] && [ "$ROOT_FSTYPE" = "$1" ]; }
}

# Which controllers this boot's block devices hang off, from the devices the command line names
# (the medium, device layers, the disk root, the persistence partition): virtio when each is a
# /dev/vd* path, nvme when each is /dev/nvme*, none when it names none (a 9p/virtiofs root),
# any otherwise (a label, UUID or PARTUUID, a CD or SCSI name can be behind any controller).
media_kind() {
  specs=
  case "$LIVE_ROOT" in
    image) specs="\${LIVE_DEVICE:-LABEL=medium}" ;;
    disk) specs="\${ROOT_SPEC:-unknown}" ;;
  esac
  for layer in $(echo "$LIVE_LAYERS" | tr ',' ' '); do
    case "$layer" in /dev/*|LABEL=*|UUID=*|PARTUUID=*) specs="$specs $layer" ;; esac
  done
  [ -n "$LIVE_PERSISTENCE" ] && specs="$specs $LIVE_PERSISTENCE"
  kind=none
  for spec in $specs; do
    case "$spec" in
      /dev/vd*) this=virtio ;;
      /dev/nvme*) this=nvme ;;
      *) this=any ;;
    esac
    if [ "$kind" = none ]; then kind=$this; elif [ "$kind" != "$this" ]; then kind=any; fi
  done
  echo "$kind"
}

# Whether this boot needs module $1 (LIVE_MODULES_LOAD=needed), decided from the command line:
# the shared-root and root filesystem modules only when it asks for them (btrfs alone costs seconds
# under TCG: it benchmarks raid6/xor when it loads), the image filesystem of the root only, loop and
# isofs only for an image file on a medium, and the storage drivers of the devices it names only
# (MEDIA, from media_kind: a direct boot's /dev/vd* needs virtio alone; probing AHCI's six ports
# and starting SCSI and USB cost a second under TCG). Any module not named here always loads.
module_needed() {
  case "$1" in
    9p|9pnet_virtio) [ "$LIVE_ROOT" = 9p ] ;;
    virtiofs) [ "$LIVE_ROOT" = virtiofs ] ;;
    ext4|btrfs|xfs) fs_needed "$1" ;;
    crc32c_generic) fs_needed ext4 || fs_needed btrfs ;;
    squashfs|erofs) image_fs_needed "$1" ;;
    loop|isofs) [ "$LIVE_ROOT" = image ] && [ -n "$LIVE_IMAGE" ] ;;
    virtio_pci) [ "$MEDIA" = virtio ] || [ "$MEDIA" = any ] || [ "$LIVE_ROOT" = 9p ] || [ "$LIVE_ROOT" = virtiofs ] ;;
    virtio_blk) [ "$MEDIA" = virtio ] || [ "$MEDIA" = any ] ;;
    nvme) [ "$MEDIA" = nvme ] || [ "$MEDIA" = any ] ;;
    virtio_scsi|ata_piix|ahci|cdrom|sr_mod|sd_mod|usb_storage|uas|xhci_pci|ehci_pci) [ "$MEDIA" = any ] ;;
    *) return 0 ;;
  esac
}

# USB storage drivers, when the devices could be on any controller, wait until a device is not
# found on the others (load_deferred, from wait_for_device): a CD, SATA, virtio or NVMe medium is
# then found without starting USB (~0.4 s of a CD boot under TCG), and a USB stick costs one more
# look. Loading by need only; the real system's udev loads them for the hardware there.
defer_module() {
  [ "$LIVE_MODULES_LOAD" = needed ] && [ "$MEDIA" = any ] || return 1
  case "$1" in usb_storage|uas|xhci_pci|ehci_pci) return 0 ;; esac
  return 1
}

load_deferred() {
  [ -n "$LIVE_DEFERRED" ] || return 1
  log "not found yet: loading the USB storage drivers:$LIVE_DEFERRED"
  for m in $LIVE_DEFERRED; do
    modprobe "$m" 2>/dev/null || log "modprobe $m failed (not needed if built in)"
  done
  LIVE_DEFERRED=
}

load_modules() {
  MEDIA=$(media_kind)
  skipped=
  LIVE_DEFERRED=
  for m in $LIVE_MODULES; do
    if [ "$LIVE_MODULES_LOAD" = needed ] && ! module_needed "$m"; then
      skipped="$skipped $m"
      continue
    fi
    if defer_module "$m"; then
      LIVE_DEFERRED="$LIVE_DEFERRED $m"
      continue
    fi
    modprobe "$m" 2>/dev/null || log "modprobe $m failed (not needed if built in)"
  done
  [ -n "$LIVE_DEFERRED" ] && log "loaded when a device is not found on the other controllers:$LIVE_DEFERRED"
  [ -z "$skipped" ] && return 0
  why="live.root=$LIVE_ROOT"
  [ "$LIVE_ROOT" = disk ] && why="$why rootfstype=$ROOT_FSTYPE"
  [ "$LIVE_ROOT" = image ] && why="$why live.fstype=$LIVE_FSTYPE"
  case "$MEDIA" in
    none) why="$why, no block devices" ;;
    any) why="$why, devices on any controller" ;;
    *) why="$why, $MEDIA devices only" ;;
  esac
  if [ -n "$LIVE_PERSISTENCE" ]; then why="$why, persistence $LIVE_PERSISTENCEFS"; else why="$why, no persistence"; fi
  log "not loaded, this boot does not need them ($why; live.modules= loads a list as given):$skipped"
}

# The device a spec names now, if any: PARTUUID= (read from the GPT), UUID=/LABEL= (findfs:
# busybox has no blkid), or a device path.
device_for() {
  case "$1" in
    PARTUUID=*) find_partuuid "\${1#PARTUUID=}" ;;
    UUID=*|LABEL=*) findfs "$1" 2>/dev/null ;;
    *) [ -b "$1" ] && echo "$1" ;;
  esac
}

# Polls device_for SPEC once a second (loading the deferred USB drivers at the first miss) until it
# answers or LIVE_TIMEOUT passes (then a rescue
# shell, or with OPTIONAL=optional a warning and status 1); the device is left in FOUND. NAME is
# what the progress lines call it, MISSING what the rescue line does.
wait_for_device() {
  spec="$1"; name="$2"; missing="$3"; optional="$4"
  log "waiting up to $LIVE_TIMEOUT s for $name"
  waited=0
  while true; do
    FOUND="$(device_for "$spec")"
    [ -n "$FOUND" ] && break
    # Not on the controllers started so far: start USB and look again at once.
    load_deferred && continue
    if [ "$waited" -ge "$LIVE_TIMEOUT" ]; then
      why="$missing not found after $LIVE_TIMEOUT s (block devices: $(ls "$SYSFS/class/block" 2>/dev/null | tr '\\n' ' '))"
      [ "$optional" = optional ] && { log "$why"; return 1; }
      rescue "$why"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "found $name at $FOUND"
}

find_medium() {
  if [ -n "$LIVE_DEVICE" ]; then
    spec="$LIVE_DEVICE"
  elif [ -n "$LIVE_LABEL" ]; then
    spec="LABEL=$LIVE_LABEL"
  elif [ -n "$LIVE_UUID" ]; then
    spec="UUID=$LIVE_UUID"
  else
    rescue "no boot medium given: set live.label=, live.uuid= or live.device="
  fi
  wait_for_device "$spec" "$spec" "boot medium $spec"
  MEDIUM="$FOUND"
}

mount_image_root() {
  find_medium
  maybe_break medium
  mkdir -p "$LIVE_DIR/medium" "$LIVE_DIR/rootfs"
  if [ -z "$LIVE_IMAGE" ]; then
    mount -t "$LIVE_FSTYPE" -o ro "$MEDIUM" "$LIVE_DIR/rootfs" || rescue "cannot mount $MEDIUM as $LIVE_FSTYPE"
    mount_layers
    return
  fi
  mount -o ro "$MEDIUM" "$LIVE_DIR/medium" || rescue "cannot mount the boot medium $MEDIUM"
  image="$LIVE_DIR/medium$LIVE_IMAGE"
  [ -f "$image" ] || rescue "image $LIVE_IMAGE not found on $MEDIUM"
  layer_files=
  for layer in $(echo "$LIVE_LAYERS" | tr ',' ' '); do
    case "$layer" in
      /dev/*|LABEL=*|UUID=*|PARTUUID=*) ;;
      *) [ -f "$LIVE_DIR/medium$layer" ] || rescue "layer $layer not found on $MEDIUM"
         layer_files="$layer_files $layer" ;;
    esac
  done
  if [ "$LIVE_COPYTORAM" = 1 ]; then
    size_kb=1024
    for f in "$LIVE_IMAGE" $layer_files; do size_kb=$(( size_kb + $(wc -c < "$LIVE_DIR/medium$f") / 1024 )); done
    mkdir -p "$LIVE_DIR/ram"
    mount -t tmpfs -o "size=\${size_kb}k,mode=0755" tmpfs "$LIVE_DIR/ram" || rescue "cannot mount a tmpfs for copytoram"
    log "copying $LIVE_IMAGE$layer_files to RAM ($size_kb KiB)"
    cp "$image" "$LIVE_DIR/ram/image" || rescue "copytoram failed (not enough memory?)"
    n=0
    for f in $layer_files; do
      n=$((n + 1))
      cp "$LIVE_DIR/medium$f" "$LIVE_DIR/ram/layer-$n" || rescue "copytoram failed (not enough memory?)"
    done
    umount "$LIVE_DIR/medium" || log "could not release the medium"
    image="$LIVE_DIR/ram/image"
    IN_RAM=1
    log "copytoram done, medium released"
  fi
  maybe_break image
  mount -t "$LIVE_FSTYPE" -o loop,ro "$image" "$LIVE_DIR/rootfs" || rescue "cannot loop-mount $LIVE_IMAGE as $LIVE_FSTYPE"
  log "mounted $LIVE_IMAGE ($LIVE_FSTYPE)"
  mount_layers
}

# live.layers: each read-only image goes above the ones before it; LOWER lists them for overlayfs, top first.
mount_layers() {
  n=0
  files=0
  for layer in $(echo "$LIVE_LAYERS" | tr ',' ' '); do
    n=$((n + 1))
    dir="$LIVE_DIR/layer$n"
    mkdir -p "$dir"
    case "$layer" in
      /dev/*|LABEL=*|UUID=*|PARTUUID=*) wait_for_device "$layer" "$layer" "layer $layer"
              mount -t "$LIVE_FSTYPE" -o ro "$FOUND" "$dir" || rescue "cannot mount the layer $layer as $LIVE_FSTYPE" ;;
      *) files=$((files + 1))
         file="$LIVE_DIR/medium$layer"
         [ "$IN_RAM" = 1 ] && file="$LIVE_DIR/ram/layer-$files"
         mount -t "$LIVE_FSTYPE" -o loop,ro "$file" "$dir" || rescue "cannot loop-mount the layer $layer as $LIVE_FSTYPE" ;;
    esac
    LOWER="$dir:\${LOWER:-$LIVE_DIR/rootfs}"
    log "mounted layer $layer ($LIVE_FSTYPE)"
  done
}

# Prints the lower-case unique GUID of GPT partition number $2 of disk $1 (e.g. vda 3): reads the
# GPT header for where the entry array starts and how large entries are; busybox has no blkid.
gpt_partuuid() {
  dev="$DEVFS/$1"
  n=$2
  ss=$(cat "$SYSFS/class/block/$1/queue/logical_block_size" 2>/dev/null || echo 512)
  sig=$(dd if="$dev" bs="$ss" skip=1 count=1 2>/dev/null | head -c 8)
  [ "$sig" = "EFI PART" ] || return 1
  lba=$(dd if="$dev" bs="$ss" skip=1 count=1 2>/dev/null | od -A n -t u4 -j 72 -N 4 | tr -d ' ')
  esize=$(dd if="$dev" bs="$ss" skip=1 count=1 2>/dev/null | od -A n -t u4 -j 84 -N 4 | tr -d ' ')
  offset=$(( lba * ss + (n - 1) * esize + 16 ))
  set -- $(dd if="$dev" bs=1 skip="$offset" count=16 2>/dev/null | od -A n -t x1 -v)
  [ $# -eq 16 ] || return 1
  # GUIDs store their first three fields little-endian.
  echo "$4$3$2$1-$6$5-$8$7-$9\${10}-\${11}\${12}\${13}\${14}\${15}\${16}"
}

# Prints the partition whose GPT unique GUID is $1.
find_partuuid() {
  want=$(echo "$1" | tr 'A-F' 'a-f')
  for p in "$SYSFS"/class/block/*/partition; do
    [ -f "$p" ] || continue
    d=\${p%/partition}
    disk=$(basename "$(dirname "$(readlink -f "$d")")")
    [ "$(gpt_partuuid "$disk" "$(cat "$p")")" = "$want" ] && { echo "$DEVFS/\${d##*/}"; return 0; }
  done
  return 1
}

# Finds the device of the kernel's root= (PARTUUID=, UUID=, LABEL= or a /dev path), polling until the timeout.
find_root_device() {
  [ -n "$ROOT_SPEC" ] || rescue "live.root=disk needs root= on the kernel command line (root=PARTUUID=..., UUID=..., LABEL=... or /dev/...)"
  case "$ROOT_SPEC" in
    PARTUUID=*|UUID=*|LABEL=*|/dev/*) ;;
    *) rescue "root=$ROOT_SPEC: expected PARTUUID=, UUID=, LABEL= or /dev/..." ;;
  esac
  wait_for_device "$ROOT_SPEC" "root $ROOT_SPEC" "root $ROOT_SPEC"
  ROOT_DEVICE="$FOUND"
}

# A read-only image filesystem as the root partition is the lower layer of an overlay, like a
# live image; anything else is mounted as the root itself.
disk_root_is_image() {
  case "$ROOT_FSTYPE" in squashfs|erofs) return 0 ;; *) return 1 ;; esac
}

mount_disk_root() {
  find_root_device
  maybe_break medium
  if disk_root_is_image; then
    mkdir -p "$LIVE_DIR/rootfs"
    mount -t "$ROOT_FSTYPE" -o ro "$ROOT_DEVICE" "$LIVE_DIR/rootfs" || rescue "cannot mount $ROOT_DEVICE as $ROOT_FSTYPE"
    log "mounted $ROOT_DEVICE ($ROOT_FSTYPE, read-only image)"
    return
  fi
  mkdir -p "$NEWROOT"
  mount -t "$ROOT_FSTYPE" -o "$ROOT_MODE" "$ROOT_DEVICE" "$NEWROOT" || rescue "cannot mount $ROOT_DEVICE as $ROOT_FSTYPE ($ROOT_MODE)"
  log "mounted $ROOT_DEVICE on $NEWROOT ($ROOT_FSTYPE, $ROOT_MODE)"
}

mount_shared_root() {
  mkdir -p "$LIVE_DIR/rootfs"
  if [ "$LIVE_ROOT" = 9p ]; then
    mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose "$LIVE_TAG" "$LIVE_DIR/rootfs" || rescue "cannot mount the 9p share $LIVE_TAG (is -virtfs ... mount_tag=$LIVE_TAG given to QEMU?)"
  else
    mount -t virtiofs -o ro "$LIVE_TAG" "$LIVE_DIR/rootfs" || rescue "cannot mount the virtiofs share $LIVE_TAG (is virtiofsd running?)"
  fi
  log "mounted the $LIVE_ROOT share $LIVE_TAG"
}

# The overlay's upper layer on the persistence partition; status 1 (and why) when it cannot be used.
mount_persistence() {
  wait_for_device "$LIVE_PERSISTENCE" "persistence $LIVE_PERSISTENCE" "persistence partition $LIVE_PERSISTENCE" optional || return 1
  mount -t "$LIVE_PERSISTENCEFS" -o rw,noatime "$FOUND" "$LIVE_DIR/cow" || { log "cannot mount $FOUND as $LIVE_PERSISTENCEFS"; return 1; }
  log "persistence on $FOUND ($LIVE_PERSISTENCEFS): changes are kept"
}

mount_overlay() {
  mkdir -p "$LIVE_DIR/cow" "$NEWROOT"
  if [ -z "$LIVE_PERSISTENCE" ] || ! mount_persistence; then
    [ -z "$LIVE_PERSISTENCE" ] || log "WARNING: persistence unavailable, changes are kept in RAM only"
    mount -t tmpfs -o "size=$LIVE_OVERLAYSIZE,mode=0755" tmpfs "$LIVE_DIR/cow" || rescue "cannot mount the overlay's tmpfs"
  fi
  mkdir -p "$LIVE_DIR/cow/upper" "$LIVE_DIR/cow/work"
  mount -t overlay overlay -o "lowerdir=\${LOWER:-$LIVE_DIR/rootfs},upperdir=$LIVE_DIR/cow/upper,workdir=$LIVE_DIR/cow/work" "$NEWROOT" || rescue "cannot mount the overlay (is the overlay module loaded?)"
  log "overlay ready on $NEWROOT"
}

do_switch_root() {
  for fs in dev proc sys; do
    if [ -d "$NEWROOT/$fs" ]; then mount --move "/$fs" "$NEWROOT/$fs"; else umount -l "/$fs"; fi
  done
  exec switch_root "$NEWROOT" "$LIVE_INIT"
}

main() {
  mount_basics
  parse_cmdline "$(cat /proc/cmdline)"
  log "distroforge live init, root=$LIVE_ROOT"
  load_modules
  maybe_break modules
  case "$LIVE_ROOT" in
    image) mount_image_root ;;
    9p|virtiofs) mount_shared_root ;;
    disk) mount_disk_root ;;
    *) rescue "unknown live.root=$LIVE_ROOT (image, 9p, virtiofs or disk)" ;;
  esac
  if [ "$LIVE_ROOT" != disk ] || disk_root_is_image; then
    mount_overlay
    maybe_break overlay
  fi
  if [ ! -x "$NEWROOT$LIVE_INIT" ] && [ ! -L "$NEWROOT$LIVE_INIT" ]; then
    rescue "$LIVE_INIT not found or not executable in the live root"
  fi
  maybe_break init
  log "switching to $LIVE_INIT"
  do_switch_root
  rescue "switch_root to $LIVE_INIT failed"
}

# Tests source this file with LIVE_INIT_LIBRARY=1 to call the functions one by one.
[ "\${LIVE_INIT_LIBRARY:-0}" = 1 ] || main
`;
}
