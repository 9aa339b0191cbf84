import { runLogged } from '@distroforge/core';
import { findQemuImg } from './tools.js';

/** `qemu-img convert -O qcow2` (zero clusters stay unallocated, so the result is as sparse as the raw image). */
export async function convertToQcow2(
  raw: string,
  output: string,
  options: { logFile: string; signal?: AbortSignal | undefined },
): Promise<void> {
  const qemuImg = await findQemuImg();
  await runLogged(qemuImg.path, ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, output], {
    logFile: options.logFile,
    timeoutMs: 30 * 60_000,
    signal: options.signal,
  });
}
