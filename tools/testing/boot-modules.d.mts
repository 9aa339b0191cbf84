/** What @distroforge/initramfs-cpio's live initramfs loads (its LIVE_MODULES), plus virtio net/console. */
export declare const BOOT_MODULES: string[];
