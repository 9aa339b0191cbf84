import { pathToFileURL } from 'node:url';
import { controlField, parseControlFile } from './control-file.js';
import { readDebControlArchive } from './deb/control-archive.js';
import { LocalPackageError } from '../errors.js';
import { assertPackageFormat } from '../local-packages.js';
import type { PackageCandidate } from '../package-candidate.js';
import type { LocalFileFacts } from '../package-source.js';
import { parseRelations } from '../relations.js';

/** A local `.deb` as an apt candidate, from its own control file (what a `Packages` entry would say). */
export async function localDebCandidate(file: string, facts: LocalFileFacts): Promise<PackageCandidate> {
  await assertPackageFormat(file, 'deb', 'apt');
  const [control] = parseControlFile((await readDebControlArchive(file)).control, `${file}: control`);
  const field = (name: string): string | undefined => (control ? controlField(control, name) : undefined);
  const [name, version, architecture] = [field('Package'), field('Version'), field('Architecture')];
  if (!name || !version || !architecture)
    throw new LocalPackageError(file, 'the control file lacks Package, Version or Architecture');
  if (architecture !== 'all' && architecture !== facts.architecture) {
    throw new LocalPackageError(file, `${name} is built for ${architecture}, the target is ${facts.architecture}`, {
      value: architecture,
    });
  }
  const where = `${file}: ${name}`;
  return {
    name,
    version,
    architecture,
    preDepends: parseRelations(field('Pre-Depends'), where),
    depends: parseRelations(field('Depends'), where),
    recommends: parseRelations(field('Recommends'), where),
    provides: parseRelations(field('Provides'), where).flat(),
    essential: (field('Essential') ?? '').toLowerCase() === 'yes',
    priority: (field('Priority') ?? 'optional').toLowerCase(),
    multiArch: (field('Multi-Arch') ?? 'no').toLowerCase(),
    size: facts.size,
    installedSize: Number(field('Installed-Size') ?? 0) * 1024,
    sha256: facts.sha256,
    location: pathToFileURL(file).href,
    origin: 'local',
    localFile: file,
  };
}
