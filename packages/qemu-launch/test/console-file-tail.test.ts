import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ConsoleFileTail } from '../src/console-file-tail.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-tail-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolveSoon) => setTimeout(resolveSoon, 10));
};

it('hands over what was there, then each append as it comes, in order', async () => {
  const path = join(dir, 'console.log');
  await writeFile(path, 'first ');
  const chunks: string[] = [];
  const tail = await ConsoleFileTail.follow(path, (chunk) => chunks.push(chunk.toString()));
  await until(() => chunks.join('') === 'first ');
  expect(chunks.join('')).toBe('first ');
  for (let i = 0; i < 50; i++) await appendFile(path, `${i} `);
  const expected = `first ${Array.from({ length: 50 }, (_, i) => `${i} `).join('')}`;
  await until(() => chunks.join('') === expected);
  expect(chunks.join('')).toBe(expected);
  expect(await tail.finish()).toBeUndefined();
});

it('finish reads what was written after the last notice, and nothing is delivered after it', async () => {
  const path = join(dir, 'console.log');
  await writeFile(path, '');
  const chunks: string[] = [];
  const tail = await ConsoleFileTail.follow(path, (chunk) => chunks.push(chunk.toString()));
  const big = 'x'.repeat(200 * 1024); // more than one read
  await appendFile(path, big);
  await appendFile(path, 'END');
  await tail.finish();
  expect(chunks.join('')).toBe(`${big}END`);
  await appendFile(path, 'late');
  await new Promise((resolveSoon) => setTimeout(resolveSoon, 300));
  expect(chunks.join('')).toBe(`${big}END`);
});

it('follow fails for a file that does not exist', async () => {
  await expect(ConsoleFileTail.follow(join(dir, 'missing.log'), () => {})).rejects.toMatchObject({ code: 'ENOENT' });
});
