import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentUmask } from '../src/current-umask.js';
import { directWriter } from '../src/small-file-writer.js';

// The direct writer creates files with their permission bits and skips fchmod where the umask
// cannot have stripped any: every mode must still come out exact.
describe('directWriter', () => {
  const umask = currentUmask();

  it('reads the umask of the process', () => {
    expect(umask).toBe(process.umask(umask!));
  });

  it('gives every file its exact mode, whatever the umask strips', () => {
    const dir = mkdtempSync(join(tmpdir(), 'df-direct-'));
    const writer = directWriter(umask);
    const modes = [0o644, 0o600, 0o666, 0o777, 0o4755, 0o2711, 0o1777, 0o000, 0o400];
    for (const [i, mode] of modes.entries()) {
      writer.write({
        abs: join(dir, `f${i}`),
        path: `/f${i}`,
        chunks: [Buffer.from(`file ${i}\n`)],
        size: 7,
        mode,
        mtime: 1_000_000 + i,
      });
    }
    for (const [i, mode] of modes.entries()) {
      const info = statSync(join(dir, `f${i}`));
      expect(info.mode & 0o7777).toBe(mode);
      expect(info.mtimeMs).toBe((1_000_000 + i) * 1000);
      expect(readFileSync(join(dir, `f${i}`), 'utf8')).toBe(`file ${i}\n`);
    }
  });

  it('replaces a file that is already there, and sets its mode too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'df-direct-'));
    const abs = join(dir, 'exists');
    writeFileSync(abs, 'old contents that are longer', { mode: 0o600 });
    directWriter(umask).write({
      abs,
      path: '/exists',
      chunks: [Buffer.from('new\n')],
      size: 4,
      mode: 0o755,
      mtime: undefined,
    });
    expect(readFileSync(abs, 'utf8')).toBe('new\n');
    expect(statSync(abs).mode & 0o7777).toBe(0o755);
  });

  it('without a known umask, still gives exact modes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'df-direct-'));
    directWriter(undefined).write({
      abs: join(dir, 'f'),
      path: '/f',
      chunks: [Buffer.from('x')],
      size: 1,
      mode: 0o666,
      mtime: undefined,
    });
    expect(statSync(join(dir, 'f')).mode & 0o7777).toBe(0o666);
  });
});
