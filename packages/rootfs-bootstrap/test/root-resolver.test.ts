import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RootResolver } from '../src/resolve-in-root.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function root(): string {
  const dir = mkdtempSync(join(tmpdir(), 'root-resolver-'));
  roots.push(dir);
  mkdirSync(join(dir, 'usr/lib'), { recursive: true });
  mkdirSync(join(dir, 'etc'));
  return dir;
}

describe('RootResolver', () => {
  it('after invalidateUnder(link), paths through a new symlink resolve through it; others keep their answer', () => {
    const dir = root();
    const resolver = new RootResolver(dir);
    // Resolved (and cached) while lib did not exist yet: a plain path under the root.
    expect(resolver.resolve('/lib/modules/x')).toBe(join(dir, 'lib/modules/x'));
    expect(resolver.resolve('/etc/passwd')).toBe(join(dir, 'etc/passwd'));
    symlinkSync('usr/lib', join(dir, 'lib'));
    resolver.invalidateUnder(join(dir, 'lib'));
    expect(resolver.resolve('/lib/modules/x')).toBe(join(dir, 'usr/lib/modules/x'));
    expect(resolver.resolve('/lib/y')).toBe(join(dir, 'usr/lib/y'));
    expect(resolver.resolve('/etc/passwd')).toBe(join(dir, 'etc/passwd'));
  });

  it('a new link that other paths led into through another link is followed by them too', () => {
    const dir = root();
    symlinkSync('/opt', join(dir, 'alias')); // alias -> /opt (absolute: inside the root)
    const resolver = new RootResolver(dir);
    expect(resolver.resolve('/alias/sub/f')).toBe(join(dir, 'opt/sub/f'));
    symlinkSync('usr/lib', join(dir, 'opt'));
    resolver.invalidateUnder(join(dir, 'opt'));
    expect(resolver.resolve('/alias/sub/f')).toBe(join(dir, 'usr/lib/sub/f'));
  });

  it('without invalidation the cached answer stays (what invalidateUnder is for)', () => {
    const dir = root();
    const resolver = new RootResolver(dir);
    expect(resolver.resolve('/lib/x')).toBe(join(dir, 'lib/x'));
    symlinkSync('usr/lib', join(dir, 'lib'));
    expect(resolver.resolve('/lib/x')).toBe(join(dir, 'lib/x'));
  });
});
