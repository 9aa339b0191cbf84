import { RpmError, rpmError } from './errors.js';

/** Wraps a failed file-system call as ERR_RPM_WRITE naming the package path. */
export function writeError(path: string, cause: unknown): RpmError {
  if (cause instanceof RpmError) return cause;
  return rpmError('ERR_RPM_WRITE', `cannot write ${path}: ${(cause as Error).message}`, { path, cause });
}

/** Runs a synchronous file-system action, turning its failure into ERR_RPM_WRITE. */
export function io(path: string, action: () => void): void {
  try {
    action();
  } catch (cause) {
    throw writeError(path, cause);
  }
}
