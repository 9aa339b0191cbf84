// Every public entry point validates its options with core's parseOptions: a bad options object is
// an InvalidOptionsError (ERR_INVALID_OPTIONS) naming every problem, thrown before anything is
// written or any tool is looked for.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  buildBusyboxInitramfs,
  buildLiveInitramfs,
  chooseInitramfsCompression,
  defaultInitScript,
  InitramfsError,
  InvalidOptionsError,
  liveInitScript,
  packCpio,
  resolveModuleClosure,
  writeInitramfs,
} from '@distroforge/initramfs-cpio';
import { tempDir } from './helpers.js';

let work: string;
beforeAll(async () => {
  work = await tempDir();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function failure(call: () => unknown): Promise<InvalidOptionsError> {
  try {
    await call();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error).toBeInstanceOf(InitramfsError);
    return error as InvalidOptionsError;
  }
  throw new Error('expected an InvalidOptionsError');
}

// [subject, call, the keys of every issue in zod's order]; '' is the options object itself.
const cases: [string, () => unknown, string[]][] = [
  [
    'packCpio',
    () => packCpio({ input: { directory: '' }, output: join(work, 'pack.cpio'), level: 99, bogus: 1 } as never),
    ['input.directory', 'level', ''],
  ],
  [
    'writeInitramfs',
    () => writeInitramfs({ output: join(work, 'write.cpio'), segments: [], firstInode: -1 }),
    ['firstInode', 'segments'],
  ],
  [
    'writeInitramfs',
    () =>
      writeInitramfs({
        output: join(work, 'write.cpio'),
        segments: [{ input: { spec: 's' }, compress: 'lz4' as never, level: 1.5 }],
      }),
    ['segments.0.compress', 'segments.0.level'],
  ],
  [
    'resolveModuleClosure',
    () => resolveModuleClosure({ modulesDir: '', names: 'squashfs' as never }),
    ['modulesDir', 'names'],
  ],
  ['defaultInitScript', () => defaultInitScript({ marker: 'a$b', then: 'halt' as never }), ['marker', 'then']],
  [
    'liveInitScript',
    () => liveInitScript({ label: "x'y", timeout: 0, root: 'nfs' as never }),
    ['root', 'label', 'timeout'],
  ],
  [
    'buildBusyboxInitramfs',
    () =>
      buildBusyboxInitramfs({
        output: join(work, 'busybox.img'),
        compress: 'lz4' as never,
        extraFiles: [{ path: '/x' }],
      }),
    ['extraFiles.0', 'compress'],
  ],
  [
    'buildLiveInitramfs',
    () => buildLiveInitramfs({ modulesDir: '', output: join(work, 'live.img'), live: { bogus: 1 } as never }),
    ['modulesDir', 'live'],
  ],
  ['chooseInitramfsCompression', () => chooseInitramfsCompression({ root: '/' }), ['']],
];

it.each(cases)('%s: a bad options object names every problem', async (subject, call, keys) => {
  const error = await failure(call);
  expect(error.code).toBe('ERR_INVALID_OPTIONS');
  expect(error.hint).toBe('check the options against the README');
  expect(error.issues.map((issue) => issue.key)).toEqual(keys);
  expect(error.value).toBe(keys[0]);
  for (const issue of error.issues) expect(error.message).toContain(`${issue.key || '(options)'}: ${issue.message}`);
  expect(error.message).toMatch(
    keys.length === 1
      ? new RegExp(`^invalid ${subject} option `)
      : new RegExp(`^${keys.length} invalid ${subject} options:\n`),
  );
  // Refused before anything was written.
  for (const output of ['pack.cpio', 'write.cpio', 'busybox.img', 'live.img'])
    expect(existsSync(join(work, output))).toBe(false);
});
