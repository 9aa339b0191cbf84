import { execa } from 'execa';
import { ToolFailedError } from '@distroforge/core';

/**
 * Copies a root filesystem tree with owners, modes, links, devices and timestamps (cp -a; reflinks
 * where the filesystem supports them, so a copy costs little on btrfs/xfs).
 */
export async function copyTree(from: string, to: string): Promise<void> {
  const args = ['-a', '--reflink=auto', '--no-target-directory', from, to];
  const result = await execa('cp', args, { reject: false });
  if (result.exitCode !== 0) throw new ToolFailedError(['cp', ...args], result.exitCode, String(result.stderr).split('\n').slice(-5).join('\n'));
}
