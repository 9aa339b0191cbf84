import { writeAtomically } from '@distroforge/core';
import { resolve } from 'node:path';
import { runLogged } from '@distroforge/core';
import { squashfsLogOptions } from './tool-log.js';
import { findUnsquashfs } from './tools.js';

export interface ExtractSquashfsOptions {
  /** Where the unsquashfs log goes; default `<dir>.log`. */
  logFile?: string;
  timeoutMs?: number;
}

/**
 * Extracts an image into `dir` (which must not exist; written under a temp name, renamed when
 * complete). Owners are restored only when running as root; xattrs are not extracted.
 */
export async function extractSquashfs(image: string, dir: string, options: ExtractSquashfsOptions = {}): Promise<void> {
  const tool = await findUnsquashfs();
  const target = resolve(dir);
  const logFile = resolve(options.logFile ?? `${target}.log`);
  await writeAtomically(target, (temp) =>
    runLogged(tool.path, ['-no-progress', '-no-xattrs', '-d', temp, resolve(image)], {
      ...squashfsLogOptions(logFile),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    }),
  );
}
