import type { RpmFile } from './types.js';

const digestLengths: Record<string, number> = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 };

/**
 * One line in the format of `rpm -q --dump`: path size mtime digest mode owner group isconfig
 * isdoc rdev symlink. Files without a digest show zeros of the algorithm's length, as rpm does.
 */
export function formatDumpLine(file: RpmFile, digestAlgorithm: string): string {
  const digest = file.digest || '0'.repeat(digestLengths[digestAlgorithm] ?? 32);
  return [
    file.path,
    file.size,
    file.mtime,
    digest,
    `0${file.mode.toString(8)}`,
    file.user,
    file.group,
    file.config ? 1 : 0,
    file.doc ? 1 : 0,
    file.rdev,
    file.linkTo || 'X',
  ].join(' ');
}
