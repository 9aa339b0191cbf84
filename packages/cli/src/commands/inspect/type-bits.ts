import { fileTypeBits } from '@distroforge/core';

/** st_mode type bits by member type, so every archive's listing reads like `ls -l` (a hard link is a file). */
export const typeBits = { ...fileTypeBits, hardlink: fileTypeBits.file } as const;
