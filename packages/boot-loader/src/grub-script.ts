/** Quotes a word for GRUB's script parser (single quotes; `'` itself as `'\''`, as in sh). */
export function grubQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The script that finds the medium by its volume label and points GRUB at its /boot/grub. Used
 * as the embedded config of our own GRUB images and as the stub grub.cfg on the ESP that Debian's
 * signed GRUB reads (it cannot carry our embedded config). `configfile` loads the menu directly,
 * for GRUBs that would otherwise fall back to their own config search.
 */
export function renderSearchConfig(label: string, options: { configfile: boolean; grubDir?: string }): string {
  const grubDir = options.grubDir ?? '/boot/grub';
  const lines = [`search --no-floppy --set=root --label ${grubQuote(label)}`, `set prefix=($root)${grubDir}`];
  if (options.configfile) lines.push('configfile $prefix/grub.cfg');
  return `${lines.join('\n')}\n`;
}
