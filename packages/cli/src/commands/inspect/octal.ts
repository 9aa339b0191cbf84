/** st_mode as six octal digits, as the JSON lines of `inspect` have always shown it. */
export function octal(mode: number): string {
  return mode.toString(8).padStart(6, '0');
}
