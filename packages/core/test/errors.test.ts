import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as core from '@distroforge/core';
import {
  coreError,
  coreErrorCodes,
  DistroforgeError,
  optionIssuesMessage,
  parseOptions,
  type OptionIssue,
} from '@distroforge/core';
import { readmeErrorTableProblems } from '../../../tools/testing/readme-error-table.mjs';

const family = {
  codes: coreErrorCodes,
  hint: (code: string) => coreError(code as core.CoreErrorCode, '').hint,
  exports: core,
};

describe('core error codes', () => {
  it('the README table lists exactly coreErrorCodes, each with its hint', async () => {
    expect(await readmeErrorTableProblems(join(import.meta.dirname, '..'), family)).toEqual([]);
  });

  it('the table check catches a missing code, a stranger, a wrong hint and a class that is not exported', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-core-readme-'));
    const rows = coreErrorCodes
      .filter((c) => c !== 'ERR_LOG_FILE')
      .map((c) => `| \`${c}\` | \`DistroforgeError\` | x | ${coreError(c, '').hint} |`);
    rows.push('| `ERR_NOPE` | `DistroforgeError` | x | y |');
    rows[0] = '| `ERR_USAGE` | `UsageErr` | x | see --help |';
    await writeFile(
      join(dir, 'README.md'),
      `# x\n\n## Errors\n\n| code | class | when | hint |\n|---|---|---|---|\n${rows.join('\n')}\n\n## Next\n`,
    );
    expect(await readmeErrorTableProblems(dir, family)).toEqual([
      expect.stringMatching(/^ERR_USAGE: hint is "see --help"/),
      'ERR_USAGE: class UsageErr is not exported',
      'ERR_NOPE: not a code of this package or of one it lets through',
      'ERR_LOG_FILE: missing from the README',
    ]);
  });

  it('coreError gives the code its hint unless another is given', () => {
    const error = coreError('ERR_LOG_FILE', 'cannot write', { path: '/x' });
    expect(error).toBeInstanceOf(DistroforgeError);
    expect(error.hint).toBe('make sure the directory exists and is writable');
    expect(coreError('ERR_LOG_FILE', 'x', { hint: 'other' }).hint).toBe('other');
  });
});

describe('parseOptions', () => {
  const schema = z
    .object({ size: z.number().int().min(1), name: z.string(), users: z.array(z.object({ uid: z.number() })) })
    .strict();
  class TestOptionsError extends DistroforgeError {
    constructor(readonly issues: readonly OptionIssue[]) {
      super('ERR_TEST_OPTIONS', optionIssuesMessage(issues), { value: issues[0]?.key });
    }
  }

  it('returns the parsed options', () => {
    expect(parseOptions(schema, { size: 2, name: 'a', users: [] }, (issues) => new TestOptionsError(issues))).toEqual({
      size: 2,
      name: 'a',
      users: [],
    });
  });

  it('reports every problem with its key path, not just the first', () => {
    let thrown: unknown;
    try {
      parseOptions(schema, { size: 0, users: [{ uid: 'x' }], extra: 1 }, (issues) => new TestOptionsError(issues));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TestOptionsError);
    const error = thrown as TestOptionsError;
    expect(error.issues.map((i) => i.key)).toEqual(['size', 'name', 'users.0.uid', '']);
    expect(error.value).toBe('size');
    expect(error.message.split('\n')).toEqual([
      '4 invalid options:',
      expect.stringMatching(/^ {2}size: /),
      expect.stringMatching(/^ {2}name: /),
      expect.stringMatching(/^ {2}users\.0\.uid: /),
      expect.stringMatching(/^ {2}\(options\): .*extra/),
    ]);
  });

  it('words one problem on one line, naming whose options they are when asked', () => {
    expect(optionIssuesMessage([{ key: 'size', message: 'too small' }])).toBe('invalid option size: too small');
    expect(optionIssuesMessage([{ key: '', message: 'bad' }], 'createErofs')).toBe(
      'invalid createErofs option (options): bad',
    );
  });
});
