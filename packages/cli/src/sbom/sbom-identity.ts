import { createHash } from 'node:crypto';

/**
 * A UUID derived from content (the digest's first 128 bits with RFC 4122's version 5 and variant
 * bits set), so the same image always gets the same document namespace and serial number.
 */
export function contentUuid(content: string): string {
  const bytes = createHash('sha256').update(content).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** SOURCE_DATE_EPOCH as the UTC timestamp both formats want, to the second (`2024-01-01T00:00:00Z`). */
export function epochTimestamp(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A supplier as "Name <email>" (Debian's Maintainer, RPM's Packager) split into its parts. */
export function splitContact(text: string): { name: string; email?: string } {
  const m = /^\s*(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(text);
  return m ? { name: m[1] || (m[2] as string), email: m[2] as string } : { name: text.trim() };
}
