import { lstatSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMergedUsrLinks, mergedUsrDirectories, usesMergedUsrLinks } from '../src/apt/merged-usr.js';

const request = {
  variant: 'minbase',
  include: [] as string[],
  exclude: [] as string[],
  available: (name: string) => name === 'usr-is-merged',
};

describe('usesMergedUsrLinks', () => {
  it('merges a base system whose suite has usr-is-merged', () => {
    for (const variant of ['essential', 'apt', 'required', 'minbase', 'important', 'standard'])
      expect(usesMergedUsrLinks({ ...request, variant }), variant).toBe(true);
  });

  it('does not for extract, a suite without usr-is-merged, usrmerge asked for, or usr-is-merged excluded', () => {
    expect(usesMergedUsrLinks({ ...request, variant: 'extract' })).toBe(false);
    expect(usesMergedUsrLinks({ ...request, available: () => false })).toBe(false);
    expect(usesMergedUsrLinks({ ...request, include: ['less', 'usrmerge'] })).toBe(false);
    expect(usesMergedUsrLinks({ ...request, exclude: ['usr-is-merged'] })).toBe(false);
    expect(usesMergedUsrLinks({ ...request, include: ['usrmerge-helper'], exclude: ['usr-is-merged-x'] })).toBe(true);
  });
});

describe('mergedUsrDirectories', () => {
  it("is bin, sbin and lib plus the architecture's library directories", () => {
    expect(mergedUsrDirectories('amd64')).toEqual(['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']);
    expect(mergedUsrDirectories('i386')).toEqual(['bin', 'sbin', 'lib', 'lib64', 'libx32']);
    expect(mergedUsrDirectories('arm64')).toEqual(['bin', 'sbin', 'lib']);
    expect(mergedUsrDirectories('ppc64el')).toEqual(['bin', 'sbin', 'lib', 'lib64']);
  });
});

describe('createMergedUsrLinks', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('makes each directory under usr/ and a relative symlink to it', async () => {
    root = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-merged-usr-'));
    await createMergedUsrLinks(root, 'amd64');
    expect(readdirSync(root).sort()).toEqual(['bin', 'lib', 'lib32', 'lib64', 'libx32', 'sbin', 'usr']);
    for (const dir of mergedUsrDirectories('amd64')) {
      expect(lstatSync(join(root, dir)).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(root, dir))).toBe(`usr/${dir}`);
      expect(statSync(join(root, dir)).isDirectory()).toBe(true);
    }
  });
});
