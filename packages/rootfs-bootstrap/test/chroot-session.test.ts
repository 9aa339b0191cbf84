import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mountsUnder } from '../src/build-atomically.js';
import { withChroot } from '../src/chroot-session.js';

const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-chroot-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Needs root, as the chroot phase of a bootstrap does (CI runs as root).
describe('withChroot', () => {
  it('mounts proc, sys and dev while the body runs and unmounts them when a command fails', async () => {
    const root = join(work, 'failing');
    const log = join(work, 'failing.log');
    let during: string[] = [];
    await expect(
      withChroot(root, { PATH: '/usr/bin:/bin' }, log, undefined, async (chroot) => {
        during = await mountsUnder(root);
        await chroot.run(['/no/such/program']);
      }),
    ).rejects.toMatchObject({ code: 'ERR_TOOL_FAILED', exitCode: 127, path: log });
    expect(during.map((p) => p.slice(root.length)).sort()).toEqual(expect.arrayContaining(['/dev', '/proc', '/sys']));
    expect(await mountsUnder(root)).toEqual([]);
    expect(readdirSync(join(root, 'dev'))).toEqual([]);
    expect(readFileSync(log, 'utf8')).toContain('/no/such/program');
  });

  it('unmounts when the body itself throws', async () => {
    const root = join(work, 'throwing');
    await expect(
      withChroot(root, {}, join(work, 'throwing.log'), undefined, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await mountsUnder(root)).toEqual([]);
  });
});
