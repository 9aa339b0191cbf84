/** What @distroforge/initramfs-cpio's live initramfs loads (its LIVE_MODULES), plus virtio net/console. */
export declare const BOOT_MODULES: string[];
/** The module files (relative to a kernel's lib/modules/VERSION) of BOOT_MODULES' closure, sorted. */
export declare function bootModuleFiles(modulesDir: string): Promise<string[]>;
