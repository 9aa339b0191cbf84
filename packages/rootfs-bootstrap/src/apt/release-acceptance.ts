import { MetadataRollbackError, ReleaseExpiredError, ReleaseSuiteMismatchError } from '../errors.js';
import type { ReleaseInfo } from './release-file.js';

/** What a verified `Release` must satisfy beyond its signature. */
export interface ReleaseRules {
  /** Oldest acceptable `Date`; `undefined`: no minimum. */
  minDate?: Date;
  /** Accept a `Date` older than `minDate` (going back to an older copy on purpose). */
  allowRollback: boolean;
  /** Accept a Release past its `Valid-Until` (apt's `Check-Valid-Until=no`). */
  allowExpired: boolean;
  /** Reference time for `Valid-Until`. */
  now: Date;
}

/**
 * Refuses a signed Release that is genuine but not the one asked for. A signature only says the
 * archive made it: a mirror can still serve another suite's Release (bullseye's under
 * dists/bookworm/), or an old one. As apt does, the requested name must equal the Release's `Suite`
 * or `Codename`; its `Date` must not be older than a minimum the caller saw before; `Valid-Until`
 * must not have passed.
 */
export function checkReleaseAcceptable(
  release: ReleaseInfo,
  url: string,
  requestedSuite: string,
  rules: ReleaseRules,
): void {
  if (!namesRelease(release, requestedSuite)) {
    throw new ReleaseSuiteMismatchError(url, requestedSuite, { suite: release.suite, codename: release.codename });
  }
  if (rules.minDate && !rules.allowRollback && !(release.date && release.date >= rules.minDate)) {
    throw new MetadataRollbackError(
      'Release Date',
      url,
      release.date?.toISOString(),
      rules.minDate.toISOString(),
      'allowReleaseRollback',
    );
  }
  if (!rules.allowExpired && release.validUntil && release.validUntil < rules.now) {
    throw new ReleaseExpiredError(url, release.validUntil, rules.now);
  }
}

/**
 * apt's `metaIndex::CheckDist`: the name itself, else the name without its last `/part`
 * (`buster/updates` -> `buster`); a flat repository (`./`) has nothing to compare.
 */
function namesRelease(release: ReleaseInfo, requested: string): boolean {
  if (requested === '' || release.suite === requested || release.codename === requested) return true;
  const slash = requested.lastIndexOf('/');
  const stem = slash === -1 ? requested : requested.slice(0, slash);
  return stem === '' || stem === '.' || release.suite === stem || release.codename === stem;
}
