const UNITS: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** "512M", "4G", "1.5GiB": binary units, as dd and truncate read them. The profile schema checks against it. */
export const BYTE_SIZE_PATTERN = /^(\d+(?:\.\d+)?)([KMGT])i?B?$/i;

/** A size from the profile (a pattern string, or a byte count) in bytes. */
export function parseByteSize(value: number | string): number {
  if (typeof value === 'number') return value;
  const match = BYTE_SIZE_PATTERN.exec(value.trim());
  if (!match) throw new RangeError(`not a size: ${JSON.stringify(value)} (expected e.g. "512M" or "4G")`);
  return Math.round(Number(match[1]) * (UNITS[(match[2] as string).toUpperCase()] as number));
}
