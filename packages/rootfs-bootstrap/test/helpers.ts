import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The package set (`name version`, sorted) mmdebstrap would install for the same request from the
 * host's mirror: its --simulate run prints apt's `Inst` lines with --verbose.
 */
export function mmdebstrapSimulate(suite: string, variant: string, include: readonly string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-mmdebstrap-'));
  try {
    const args = [
      '--verbose',
      `--variant=${variant}`,
      '--simulate',
      ...(include.length ? [`--include=${include.join(',')}`] : []),
      suite,
      join(dir, 'out.tar'),
    ];
    // mmdebstrap prints apt's output, with the Inst lines, on stderr.
    const run = spawnSync('mmdebstrap', args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 26,
    });
    if (run.status !== 0) throw new Error(`mmdebstrap --simulate failed: ${run.stderr.slice(-2000)}`);
    const lines = `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => l.startsWith('Inst '));
    return [
      ...new Set(
        lines.map((l) => {
          const [, name, version] = /^Inst (\S+) \((\S+)/.exec(l) ?? [];
          return `${name} ${version}`;
        }),
      ),
    ].sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `name version` lines of the packages dpkg reports installed in a root. */
export function dpkgInstalled(root: string): string[] {
  return execFileSync('chroot', [root, 'dpkg-query', '-W', '-f=${Package} ${Version}\\n'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .sort();
}
