/** st_mode type bits by member type, so every archive's listing reads like `ls -l` (a hard link is a file). */
export const typeBits = {
  file: 0o100000,
  hardlink: 0o100000,
  dir: 0o040000,
  symlink: 0o120000,
  char: 0o020000,
  block: 0o060000,
  fifo: 0o010000,
  socket: 0o140000,
} as const;
