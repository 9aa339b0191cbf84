// The public API, pinned: what this package exports (names, kinds, signatures, members) is listed
// in test/public-api.txt, so a change of it is a visible diff in review. After a change on
// purpose: npx vitest run test/public-api.test.ts -u
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { publicApi } from '../../../tools/lint/public-api.mjs';

it('exports what test/public-api.txt lists', async () => {
  await expect(publicApi(join(import.meta.dirname, '..'))).toMatchFileSnapshot('./public-api.txt');
}, 120_000);
