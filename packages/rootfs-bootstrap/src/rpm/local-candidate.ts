import { readRpm } from '@distroforge/rpm-extract';
import { pathToFileURL } from 'node:url';
import { LocalPackageError } from '../errors.js';
import { assertPackageFormat } from '../local-packages.js';
import type { LocalFileFacts } from '../package-source.js';
import { rpmCandidateFromHeader, type RpmCandidate } from './candidate.js';
import { rpmArchitectureRuns } from './resolve.js';

/** A local `.rpm` as an rpm candidate, from its header (as a folder source indexes it). */
export async function localRpmCandidate(file: string, facts: LocalFileFacts): Promise<RpmCandidate> {
  await assertPackageFormat(file, 'rpm', 'rpm');
  const header = await readRpm(file);
  if (header.isSource)
    throw new LocalPackageError(file, `is a source package (${header.name}); install binary .rpm files`);
  if (!rpmArchitectureRuns(facts.architecture, header.arch)) {
    throw new LocalPackageError(
      file,
      `${header.name} is built for ${header.arch}, the target is ${facts.architecture}`,
      { value: header.arch },
    );
  }
  return {
    ...rpmCandidateFromHeader(header, {
      location: pathToFileURL(file).href,
      sha256: facts.sha256,
      size: facts.size,
      origin: 'local',
    }),
    localFile: file,
  };
}
