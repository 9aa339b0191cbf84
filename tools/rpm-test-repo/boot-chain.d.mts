/** Types of boot-chain.mjs: Debian's signed shim, GRUB and GRUB modules as EL packages. */
export declare const BOOT_CHAIN_SOURCES: {
  shim: string;
  mokManager: string;
  grub: string;
  grubI386Pc: string;
  grubX8664Efi: string;
};
/** The EFI vendor directory (`/boot/efi/EFI/<vendor>`). */
export declare const BOOT_CHAIN_VENDOR: string;
/** shim-x64, grub2-efi-x64, grub2-pc-modules, grub2-efi-x64-modules. */
export declare const BOOT_CHAIN_PACKAGE_NAMES: string[];
export declare function bootChainKey(): Promise<string>;
export declare function bootChainPackages(): { id: string; arch: string; spec: string }[];
