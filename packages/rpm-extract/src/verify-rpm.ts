import { rpmError } from './errors.js';
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
  const parsed = verifyOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw rpmError('ERR_RPM_OPTIONS_INVALID', `invalid verify option ${issue?.path.join('.')}: ${issue?.message}`, { value: issue?.path.join('.') });
  }
  return verifyPackage(source, parsed.data);
}
