import { requireBootFile, type BootFileLocations } from './boot-files.js';
import { KernelUnsignedError } from './errors.js';
import { hasAuthenticodeSignature } from './pe-signature.js';
import { checkSbatCompatibility, type SbatCheck } from './sbat.js';
import { findObjcopy } from './tools.js';

export interface SecureBootFilesOptions {
  /** The kernel the signed GRUB will load: it must carry a signature. */
  kernel: string;
  locations: BootFileLocations;
  /** Also require shim's MokManager. */
  mokManager: boolean;
  /** objcopy's command lines and output go here. */
  logFile: string;
}

/**
 * Checks the pieces of a Secure Boot medium before anything is built: shim, signed GRUB and
 * (if wanted) MokManager exist (BootFileMissingError names the package), the kernel is signed
 * (KernelUnsignedError), and shim's SBAT level accepts the signed GRUB (SbatMismatchError).
 */
export async function checkSecureBootFiles(options: SecureBootFilesOptions): Promise<SbatCheck> {
  const { kernel, locations, logFile } = options;
  const shim = await requireBootFile(locations, 'shim');
  const grub = await requireBootFile(locations, 'signedGrub');
  if (options.mokManager) await requireBootFile(locations, 'mokManager');
  if (!(await hasAuthenticodeSignature(kernel))) throw new KernelUnsignedError(kernel);
  const objcopy = await findObjcopy();
  return checkSbatCompatibility({ objcopy: objcopy.path, shim, grub, logFile });
}
