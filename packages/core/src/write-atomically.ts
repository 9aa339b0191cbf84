import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Keep the temporary output when `produce` fails (for debugging). Default false. */
  keepPartial?: boolean;
}

/**
 * Runs `produce(tempPath)` and renames the result to `finalPath` only if it succeeds, so a failed
 * or interrupted run never leaves output behind that looks complete. Works for files and directories.
 */
export async function writeAtomically<T>(
  finalPath: string,
  produce: (tempPath: string) => Promise<T>,
  options: AtomicWriteOptions = {},
): Promise<T> {
  const temp = join(
    dirname(finalPath),
    `.${basename(finalPath)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    const result = await produce(temp);
    await rm(finalPath, { recursive: true, force: true });
    await rename(temp, finalPath);
    return result;
  } catch (error) {
    if (!options.keepPartial) await rm(temp, { recursive: true, force: true });
    throw error;
  }
}
