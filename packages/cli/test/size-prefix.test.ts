// The size map's directory of a file, cut to a depth (report/size-model.ts `prefix`): the fast
// path for a tree's clean paths and the spelled one for anything else give what a split by '/'
// gives.
import { expect, it } from 'vitest';
import { prefix } from '../src/report/size-model.js';

/** The definition: the path's directory components (empty ones dropped), the first `depth` of them. */
const byComponents = (path: string, depth: number) =>
  `/${path.split('/').filter(Boolean).slice(0, -1).slice(0, depth).join('/')}`;

it.each([
  ['/usr/share/doc/x/y', 3, '/usr/share/doc'],
  ['/usr/share/doc/x/y', 7, '/usr/share/doc/x'],
  ['/usr/share/doc/x/y', 1, '/usr'],
  ['/usr/share/doc/x/y', 0, '/'],
  ['/etc/passwd', 3, '/etc'],
  ['/vmlinuz', 2, '/'],
  ['relative/dir/file', 2, '/relative/dir'],
  ['//usr//lib/', 2, '/usr'],
  ['/usr/lib/modules/', 5, '/usr/lib'],
  ['/', 2, '/'],
  ['', 2, '/'],
])('prefix(%j, %d) is %j', (path, depth, expected) => {
  expect(prefix(path, depth)).toBe(expected);
  expect(byComponents(path, depth)).toBe(expected);
});

it('agrees with the definition on generated paths of every shape and depth', () => {
  const parts = ['usr', 'lib', 'a.b', 'x', 'modules', '6.1.0-18-amd64', ''];
  let seed = 7;
  const pick = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return parts[seed % parts.length]!;
  };
  for (let n = 0; n < 3000; n++) {
    const path = `${n % 5 === 0 ? '' : '/'}${Array.from({ length: 1 + (n % 9) }, pick).join('/')}`;
    for (const depth of [0, 1, 2, 3, 7])
      expect(prefix(path, depth), `${path} ${depth}`).toBe(byComponents(path, depth));
  }
});
