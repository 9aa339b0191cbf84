import { walkTree, type TreeEntry, type TreeWalker } from '@distroforge/disk-assemble';

/** A TreeWalker that walks each directory once and hands every later caller the same listing. */
export function rememberingWalker(walk: TreeWalker = walkTree): TreeWalker {
  const walked = new Map<string, Promise<readonly TreeEntry[]>>();
  return (root) => {
    let listing = walked.get(root);
    if (!listing) {
      listing = walk(root);
      walked.set(root, listing);
      listing.catch(() => walked.delete(root));
    }
    return listing;
  };
}
