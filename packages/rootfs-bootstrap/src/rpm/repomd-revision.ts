import { MetadataRollbackError } from '../errors.js';

/**
 * Refuses a repomd.xml whose `revision` is below `minimum` (a rollback to an older copy of the
 * repository). The revision is compared as a decimal integer (createrepo_c writes the Unix time);
 * an absent one cannot be checked and passes, one that is not an integer cannot be ordered and is
 * refused while a minimum is set.
 */
export function checkRepomdRevision(revision: string | undefined, url: string, minimum: number | undefined): void {
  if (minimum === undefined || revision === undefined) return;
  if (!/^\d+$/.test(revision) || BigInt(revision) < BigInt(minimum)) {
    throw new MetadataRollbackError('repomd.xml revision', url, revision, String(minimum), 'allowRepomdRollback');
  }
}
