import { walkTree, type TreeWalker } from '@distroforge/disk-assemble';
import { rememberPerKey } from './remember-per-key.js';

/** A TreeWalker that walks each directory once and hands every later caller the same listing. */
export function rememberingWalker(walk: TreeWalker = walkTree): TreeWalker {
  return rememberPerKey(walk);
}
