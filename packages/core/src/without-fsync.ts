import { findTool } from './find-tool.js';
import { knownTools } from './known-tools.js';

/**
 * The command line that runs `command` with its fsync calls made no-ops (`eatmydata`), or the
 * command itself when eatmydata is not installed. For tools writing build outputs (mkfs.ext4,
 * debugfs): an output is complete when it is renamed into place and the kernel writes it back like
 * any other file, but debugfs syncs the whole image file on close, which waits for the writeback of
 * every byte copied into it (0.4 s for a 650 MB root).
 */
export async function withoutFsync(command: string, args: readonly string[]): Promise<[string, string[]]> {
  const eatmydata = await findTool(knownTools.eatmydata).catch(() => undefined);
  return eatmydata ? [eatmydata.path, ['--', command, ...args]] : [command, [...args]];
}
