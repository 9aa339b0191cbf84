import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { clearToolCache, which, withoutFsync } from '../src/index.js';

const path = process.env.PATH;
afterEach(() => {
  process.env.PATH = path;
  clearToolCache();
});

describe('withoutFsync', () => {
  it('runs the command under eatmydata (fsync a no-op via LD_PRELOAD) when it is installed', async () => {
    // tools/setup installs eatmydata (disk-assemble.debs): on the test machines it is there.
    expect(await which('eatmydata')).toBeDefined();
    const [command, args] = await withoutFsync('sh', ['-c', 'echo "$LD_PRELOAD"']);
    expect(command).toMatch(/eatmydata$/);
    expect(args.slice(0, 2)).toEqual(['--', 'sh']);
    expect((await execa(command, args)).stdout).toMatch(/libeatmydata/);
  });

  it('runs the command itself when eatmydata is missing', async () => {
    process.env.PATH = '/nonexistent';
    clearToolCache();
    expect(await withoutFsync('/bin/echo', ['a', 'b'])).toEqual(['/bin/echo', ['a', 'b']]);
  });
});
