import { headerChunkSize, openSource, type RpmSource } from './open-source.js';
import { packageInfo } from './package-info.js';
import { readPackageHeaders } from './read-package-headers.js';
import type { RpmFile, RpmPackage } from './types.js';

/**
 * Reads a package's headers (lead, signature header, main header) without touching the payload:
 * for a path only the headers and at most 64 KiB beyond are read, so indexing thousands of packages is cheap.
 */
export async function readRpm(source: RpmSource): Promise<RpmPackage> {
  const reader = await openSource(source, headerChunkSize);
  try {
    const headers = await readPackageHeaders(reader);
    return packageInfo(headers, reader.position);
  } finally {
    await reader.close();
  }
}

/** The package's files with full metadata (from the header; the payload is not read). */
export async function listRpm(source: RpmSource): Promise<RpmFile[]> {
  return (await readRpm(source)).files;
}
