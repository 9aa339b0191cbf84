import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractRpm, RpmError, type ExtractOptions, type RpmErrorCode } from '@distroforge/rpm-extract';
import { craftRpm, S_IFDIR, S_IFLNK, S_IFREG, type CraftedFile, type CraftedMember } from './crafted-rpm.js';

// The link / symlink / directory-swap class, every ordering: each crafted package (all digests
// consistent, so verification does not stop it first) is refused with a typed error or extracted
// with everything inside the target; host files outside stay as they were (contents, mode, times).
// These run as root in CI and here, where permission bits would not stop a write that escaped.

let work: string;
let sentinelFile: string;
let sentinelDir: string;

/** Everything a write, chmod or utimes through a link would change. */
function sentinelState() {
  const file = statSync(sentinelFile);
  const dir = statSync(sentinelDir);
  return {
    content: readFileSync(sentinelFile, 'utf8'),
    fileMode: file.mode,
    fileMtime: file.mtimeMs,
    fileLinks: file.nlink,
    dirMode: dir.mode,
    dirMtime: dir.mtimeMs,
    dirEntries: readdirSync(sentinelDir),
    workEntries: readdirSync(work).sort(),
  };
}
let before: ReturnType<typeof sentinelState>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rpm-extract-hostile-'));
  sentinelFile = join(work, 'sentinel.txt');
  sentinelDir = join(work, 'sentinel-dir');
  await mkdir(join(work, 'targets'));
});
// Made afresh for every test, so one escape does not fail the tests after it.
beforeEach(async () => {
  await rm(sentinelDir, { recursive: true, force: true });
  await rm(sentinelFile, { force: true });
  writeFileSync(sentinelFile, 'sentinel\n', { mode: 0o640 });
  await mkdir(sentinelDir, { mode: 0o750 });
  writeFileSync(join(sentinelDir, 'inside'), 'inside\n');
  utimesSync(sentinelFile, 1_000_000, 1_000_000);
  utimesSync(sentinelDir, 1_000_000, 1_000_000);
  before = sentinelState();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const reg = (path: string, data: string, inode?: number): CraftedFile => ({ path, mode: S_IFREG | 0o644, data, inode });
const dir = (path: string, mode = 0o755): CraftedFile => ({ path, mode: S_IFDIR | mode });
const link = (path: string, linkTo: string, inode?: number): CraftedFile => ({
  path,
  mode: S_IFLNK | 0o777,
  linkTo,
  inode,
});
const member = (name: string, mode: number, data?: string, nlink = 1): CraftedMember => ({ name, mode, data, nlink });

interface Case {
  name: string;
  files: () => CraftedFile[];
  members?: () => CraftedMember[];
  /** The typed refusal expected; absent: extracted, and `check` looks at the tree. */
  refused?: RpmErrorCode;
  check?: (target: string) => void;
}

const cases: Case[] = [
  {
    name: 'hard-link member a, then a again as a symlink to a host file, then b of the same inode with data (header lists /a twice)',
    files: () => [{ ...reg('/a', 'owned\n', 9) }, link('/a', sentinelFile), reg('/b', 'owned\n', 9)],
    members: () => [
      member('./a', S_IFREG | 0o644, undefined, 2),
      member('./a', S_IFLNK | 0o777, sentinelFile),
      member('./b', S_IFREG | 0o644, 'owned\n', 2),
    ],
    refused: 'ERR_RPM_UNSAFE_PATH',
  },
  {
    name: 'hard-link member a, then a again as a symlink to a host file, then b of the same inode with data (payload only)',
    files: () => [reg('/a', 'owned\n', 9), reg('/b', 'owned\n', 9)],
    members: () => [
      member('./a', S_IFREG | 0o644, undefined, 2),
      member('./a', S_IFLNK | 0o777, sentinelFile),
      member('./b', S_IFREG | 0o644, 'owned\n', 2),
    ],
    refused: 'ERR_RPM_BAD_PAYLOAD',
  },
  {
    name: 'b of a hard-link set first with data, then a symlink a to a host file, then a as the empty link',
    files: () => [reg('/a', 'owned\n', 9), reg('/b', 'owned\n', 9)],
    members: () => [
      member('./b', S_IFREG | 0o644, 'owned\n', 2),
      member('./a', S_IFLNK | 0o777, sentinelFile),
      member('./a', S_IFREG | 0o644, undefined, 2),
    ],
    refused: 'ERR_RPM_BAD_PAYLOAD',
  },
  {
    name: 'a symlink to a host directory, then a file through it',
    files: () => [link('/l', sentinelDir), reg('/l/x', 'owned\n')],
    refused: 'ERR_RPM_UNSAFE_PATH',
  },
  {
    name: 'a file through a symlink, the symlink coming later in the payload',
    files: () => [link('/l', sentinelDir), reg('/l/x', 'owned\n')],
    members: () => [member('./l/x', S_IFREG | 0o644, 'owned\n'), member('./l', S_IFLNK | 0o777, sentinelDir)],
    refused: 'ERR_RPM_UNSAFE_PATH',
  },
  {
    name: 'a file through a symlink the payload carries but the header does not list',
    files: () => [reg('/l/x', 'owned\n')],
    members: () => [member('./l', S_IFLNK | 0o777, sentinelDir), member('./l/x', S_IFREG | 0o644, 'owned\n')],
    refused: 'ERR_RPM_BAD_PAYLOAD',
  },
  {
    name: 'a directory, then a symlink replacing it, then a file under it (header lists /d twice)',
    files: () => [dir('/d'), link('/d', sentinelDir), reg('/d/x', 'owned\n')],
    refused: 'ERR_RPM_UNSAFE_PATH',
  },
  {
    name: 'a directory, then a symlink replacing it, then a file under it (payload only)',
    files: () => [dir('/d'), reg('/d/x', 'owned\n')],
    members: () => [
      member('./d', S_IFDIR | 0o755),
      member('./d', S_IFLNK | 0o777, sentinelDir),
      member('./d/x', S_IFREG | 0o644, 'owned\n'),
    ],
    refused: 'ERR_RPM_BAD_PAYLOAD',
  },
  {
    name: 'a symlink, then a directory of the same name (whose mode and mtime would land on the host directory)',
    files: () => [link('/l', sentinelDir), dir('/l', 0o777)],
    refused: 'ERR_RPM_UNSAFE_PATH',
  },
  {
    name: 'a symlink to .. then members under it',
    files: () => [link('/up', '..'), dir('/up/escaped'), reg('/up/escaped/x', 'owned\n')],
    refused: 'ERR_RPM_UNSAFE_PATH',
  },
  {
    name: 'a symlink to ../../.. deep in the tree then a member under it',
    files: () => [dir('/a'), dir('/a/b'), link('/a/b/up', '../../..'), reg('/a/b/up/x', 'owned\n')],
    refused: 'ERR_RPM_UNSAFE_PATH',
  },
  {
    name: 'a symlink to / then a member under it',
    files: () => [link('/root', '/'), reg(`/root${sentinelFile}`, 'owned\n')],
    refused: 'ERR_RPM_UNSAFE_PATH',
  },
  {
    name: 'a ../x path in the header',
    files: () => [reg('/../x', 'owned\n')],
    refused: 'ERR_RPM_UNSAFE_PATH',
  },
  {
    name: 'a ../x payload member name',
    files: () => [reg('/x', 'owned\n')],
    members: () => [member('../x', S_IFREG | 0o644, 'owned\n')],
    refused: 'ERR_RPM_BAD_PAYLOAD',
  },
  {
    name: 'an absolute /x payload member name lands inside the target',
    files: () => [reg('/x', 'inside\n')],
    members: () => [member('/x', S_IFREG | 0o644, 'inside\n')],
    check: (target) => expect(readFileSync(join(target, 'x'), 'utf8')).toBe('inside\n'),
  },
  {
    name: 'an absolute host path as a file name lands inside the target',
    files: () => [reg(sentinelFile, 'owned\n')],
    check: (target) => expect(readFileSync(join(target, sentinelFile), 'utf8')).toBe('owned\n'),
  },
  {
    name: 'a hard-link set whose first member is a symlink: the symlink stays a symlink, the file a separate regular file',
    files: () => [link('/a', sentinelFile, 9), reg('/b', 'owned\n', 9)],
    members: () => [member('./a', S_IFLNK | 0o777, sentinelFile, 2), member('./b', S_IFREG | 0o644, 'owned\n', 2)],
    check: (target) => {
      expect(readlinkSync(join(target, 'a'))).toBe(sentinelFile);
      const b = lstatSync(join(target, 'b'));
      expect(b.isFile()).toBe(true);
      expect(b.nlink).toBe(1);
      expect(readFileSync(join(target, 'b'), 'utf8')).toBe('owned\n');
    },
  },
  {
    name: 'a hard-link set whose first member the payload turns into a symlink',
    files: () => [reg('/a', 'owned\n', 9), reg('/b', 'owned\n', 9)],
    members: () => [member('./a', S_IFLNK | 0o777, sentinelFile, 2), member('./b', S_IFREG | 0o644, 'owned\n', 2)],
    refused: 'ERR_RPM_BAD_PAYLOAD',
  },
  {
    name: 'a member that is a symlink where the header lists a regular file of the same size and digest',
    files: () => [reg('/a', sentinelFile)],
    members: () => [member('./a', S_IFLNK | 0o777, sentinelFile)],
    refused: 'ERR_RPM_BAD_PAYLOAD',
  },
  {
    name: 'a regular file replacing a directory (header lists /d twice)',
    files: () => [dir('/d'), reg('/d/f', 'x\n'), reg('/d', 'owned\n')],
    refused: 'ERR_RPM_UNSAFE_PATH',
  },
  {
    name: 'a regular file replacing a directory (payload only)',
    files: () => [dir('/d'), reg('/d/f', 'x\n')],
    members: () => [
      member('./d', S_IFDIR | 0o755),
      member('./d/f', S_IFREG | 0o644, 'x\n'),
      member('./d', S_IFREG | 0o644, 'owned\n'),
    ],
    refused: 'ERR_RPM_BAD_PAYLOAD',
  },
  {
    name: 'a file below a regular file',
    files: () => [reg('/f', 'x\n'), reg('/f/g', 'owned\n')],
    refused: 'ERR_RPM_UNSAFE_PATH',
  },
  {
    name: 'the same path spelled twice (/a/b and /a//b)',
    files: () => [dir('/a'), link('/a/b', sentinelDir), reg('/a//b/x', 'owned\n')],
    refused: 'ERR_RPM_UNSAFE_PATH',
  },
  {
    name: 'a %ghost symlink with a real file below it: nothing is created at the ghost but a directory',
    files: () => [{ ...link('/g', sentinelDir), ghost: true }, reg('/g/x', 'inside\n')],
    check: (target) => {
      expect(lstatSync(join(target, 'g')).isDirectory()).toBe(true);
      expect(readFileSync(join(target, 'g/x'), 'utf8')).toBe('inside\n');
    },
  },
];

const modes: Array<{ label: string; options: ExtractOptions; merge?: boolean }> = [
  { label: 'verifying', options: {} },
  { label: 'verify off', options: { verify: false } },
  { label: 'merging into an existing root', options: { merge: true }, merge: true },
];

let counter = 0;
describe('hostile trees: refused typed or extracted inside the target; host files untouched', () => {
  // Default members also as stripped `07070X` members, which name a header index rather than a
  // path: a path the header lists twice is then reachable once per entry, in header order.
  const layouts = (c: Case) => (c.members ? ['newc'] : ['newc', 'stripped']);
  for (const c of cases) {
    for (const layout of layouts(c)) {
      for (const mode of modes) {
        it(`${c.name} [${layout}, ${mode.label}]`, async () => {
          const rpm = await craftRpm({ files: c.files(), members: c.members?.(), stripped: layout === 'stripped' });
          const target = join(work, 'targets', `t${counter++}`);
          if (mode.merge) {
            await mkdir(target);
            writeFileSync(join(target, 'existing'), 'existing\n');
          }
          const outcome = await extractRpm(rpm, target, mode.options).catch((e: unknown) => e);
          if (c.refused) {
            expect(outcome, String(outcome)).toBeInstanceOf(RpmError);
            expect((outcome as RpmError).code, (outcome as RpmError).message).toBe(c.refused);
            // Nothing is left behind: no target (or only what was there before), no staging sibling.
            const expected = mode.merge ? ['existing'] : [];
            expect(await readdir(target).catch(() => [])).toEqual(expected);
          } else {
            expect(outcome, String(outcome)).not.toBeInstanceOf(Error);
            c.check!(target);
          }
          expect(await readdir(join(work, 'targets'))).toEqual(
            expect.not.arrayContaining([expect.stringMatching(/^\./)]),
          );
          expect(sentinelState()).toEqual(before);
        });
      }
    }
  }
});

describe('merging into a root that already holds symlinks to host paths', () => {
  it('an absolute symlink in the root resolves inside the root, as in a chroot', async () => {
    const target = join(work, 'targets', 'merge-abs');
    await mkdir(join(target, sentinelDir), { recursive: true });
    symlinkSync(sentinelDir, join(target, 'lnk'));
    await extractRpm(await craftRpm({ files: [dir('/lnk', 0o777), reg('/lnk/x', 'inside\n')] }), target, {
      merge: true,
    });
    expect(readFileSync(join(target, sentinelDir, 'x'), 'utf8')).toBe('inside\n');
    expect(statSync(join(target, sentinelDir)).mode & 0o7777).toBe(0o777);
    expect(sentinelState()).toEqual(before);
  });

  it('an absolute symlink to a directory the root lacks is a typed write error, not a write on the host', async () => {
    const target = join(work, 'targets', 'merge-abs-missing');
    await mkdir(target);
    symlinkSync(sentinelDir, join(target, 'lnk'));
    const error = await extractRpm(await craftRpm({ files: [dir('/lnk', 0o777), reg('/lnk/x', 'owned\n')] }), target, {
      merge: true,
    }).catch((e: unknown) => e);
    expect((error as RpmError).code).toBe('ERR_RPM_WRITE');
    expect(sentinelState()).toEqual(before);
  });

  it('a .. symlink in the root cannot climb above it', async () => {
    const target = join(work, 'targets', 'merge-up');
    await mkdir(target);
    symlinkSync('../../..', join(target, 'up'));
    await extractRpm(await craftRpm({ files: [reg('/up/sentinel.txt', 'owned\n')] }), target, { merge: true });
    expect(readFileSync(join(target, 'sentinel.txt'), 'utf8')).toBe('owned\n');
    expect(sentinelState()).toEqual(before);
  });
});
