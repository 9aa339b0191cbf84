import { parseOptions } from './parse-options.js';
import type { RpmSource } from './open-source.js';
import { verifyPackage, type VerifyResult } from './verify-package.js';
import { verifyOptionsSchema, type VerifyOptions } from './verify-options.js';

export { verifyOptionsSchema, type VerifyOptions } from './verify-options.js';
export type { VerifyResult } from './verify-package.js';

/**
 * Checks a package's digests: header SHA-256/SHA-1, payload digest, MD5 over header and payload,
 * the recorded size, and (unless `files: false`) every file's digest. A mismatch is reported in
 * the result, not thrown; an unreadable header still throws its typed error.
 */
export async function verifyRpm(source: RpmSource, options: VerifyOptions = {}): Promise<VerifyResult> {
  return verifyPackage(source, parseOptions(verifyOptionsSchema, options, 'verify'));
}
