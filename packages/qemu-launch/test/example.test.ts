import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeGuest, type Guest } from './_guest.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
let guest: Guest;

beforeAll(async () => {
  // The example imports the package by name, i.e. dist/ (nx builds it before tests; build here if run alone).
  if (!existsSync(join(packageDir, 'dist/index.js'))) await execa('npx', ['tsup'], { cwd: packageDir });
  guest = await makeGuest();
});
afterAll(async () => {
  if (guest) await rm(guest.dir, { recursive: true, force: true });
});

describe('README example', () => {
  it('examples/boot-busybox.mjs prints what the README shows', async () => {
    const { stdout } = await execa('node', ['examples/boot-busybox.mjs', guest.kernel, guest.initrd], {
      cwd: packageDir,
      timeout: 280_000,
    });
    expect(stdout).toMatch(
      /^accelerator: (kvm|tcg) \(.+\)\nshell prompt after \d+\.\d s\nguest says: Linux \d+\.\d+\S*\nQMP status: running\nshutdown: powerdown, QEMU exit code 0$/,
    );
  }, 300_000);
});
