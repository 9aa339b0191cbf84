import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { controlField, parseControlFile } from './control-file.js';
import { MirrorConfigError } from '../errors.js';

/** One apt repository: a mirror URI, a suite (distribution) and its components. */
export interface AptRepository {
  uri: string;
  suite: string;
  components: string[];
  /** Keyring file named by `Signed-By` / `[signed-by=...]`, if any. */
  signedBy?: string;
}

/** Parses deb822 `.sources` text into repositories (only `Types: deb`, enabled entries). */
export function parseDeb822Sources(text: string, origin = 'sources'): AptRepository[] {
  const repositories: AptRepository[] = [];
  for (const paragraph of parseControlFile(text, origin)) {
    const types = (controlField(paragraph, 'Types') ?? '').split(/\s+/);
    if (!types.includes('deb')) continue;
    if ((controlField(paragraph, 'Enabled') ?? 'yes').toLowerCase() === 'no') continue;
    const uris = (controlField(paragraph, 'URIs') ?? '').split(/\s+/).filter(Boolean);
    const suites = (controlField(paragraph, 'Suites') ?? '').split(/\s+/).filter(Boolean);
    const components = (controlField(paragraph, 'Components') ?? '').split(/\s+/).filter(Boolean);
    const signedBy = controlField(paragraph, 'Signed-By');
    for (const uri of uris) {
      for (const suite of suites) {
        repositories.push({
          uri: trimSlash(uri),
          suite,
          components,
          ...(signedBy && !signedBy.includes('\n') ? { signedBy } : {}),
        });
      }
    }
  }
  return repositories;
}

/** Parses one-line `sources.list` text (`deb [opts] URI SUITE COMPONENT...`). */
export function parseOneLineSources(text: string): AptRepository[] {
  const repositories: AptRepository[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line.startsWith('deb ') && !line.startsWith('deb\t')) continue;
    let rest = line.slice(3).trim();
    let signedBy: string | undefined;
    if (rest.startsWith('[')) {
      const close = rest.indexOf(']');
      const options = rest.slice(1, close);
      signedBy = /signed-by=(\S+)/.exec(options)?.[1];
      rest = rest.slice(close + 1).trim();
    }
    const [uri, suite, ...components] = rest.split(/\s+/);
    if (!uri || !suite) continue;
    repositories.push({ uri: trimSlash(uri), suite, components, ...(signedBy ? { signedBy } : {}) });
  }
  return repositories;
}

/** Reads the host's apt sources: `sources.list`, `sources.list.d/*.list` and `*.sources`. */
export async function readHostAptSources(etcApt = '/etc/apt'): Promise<AptRepository[]> {
  const repositories: AptRepository[] = [];
  const main = await readFile(join(etcApt, 'sources.list'), 'utf8').catch(() => undefined);
  if (main !== undefined) repositories.push(...parseOneLineSources(main));
  const dir = join(etcApt, 'sources.list.d');
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  for (const name of names) {
    const file = join(dir, name);
    if (name.endsWith('.list')) repositories.push(...parseOneLineSources(await readFile(file, 'utf8')));
    else if (name.endsWith('.sources')) repositories.push(...parseDeb822Sources(await readFile(file, 'utf8'), file));
  }
  return repositories;
}

/**
 * The repositories to bootstrap `suite` from: explicit mirrors when given (the suite itself on each),
 * else the host's entries for that suite and its `-updates`/`-security` companions, else the host's
 * mirrors carrying the requested suite name; always with the requested components (a one-line
 * `deb ...` mirror names its own). No hostname is built in.
 */
export async function repositoriesForSuite(
  suite: string,
  mirrors: readonly string[] | undefined,
  components: readonly string[],
  etcApt = '/etc/apt',
): Promise<AptRepository[]> {
  if (mirrors && mirrors.length > 0) {
    return mirrors.flatMap((mirror) =>
      mirror.startsWith('deb ')
        ? parseOneLineSources(mirror)
        : [{ uri: trimSlash(mirror), suite, components: [...components] }],
    );
  }
  const host = await readHostAptSources(etcApt);
  const companion = new RegExp(`^${escapeRegExp(suite)}(?:[-/][a-z-]+)?$`);
  // The host gives the mirrors; the components are the request's (the profile's), so a build does not
  // change with the host's choice of components and can ask for one the host lacks (non-free-firmware).
  const matching = host.filter((r) => companion.test(r.suite)).map((r) => ({ ...r, components: [...components] }));
  if (matching.length > 0) return dedupe(matching);
  const primaryMirrors = [...new Set(host.filter((r) => !/[-/]/.test(r.suite)).map((r) => r.uri))];
  if (primaryMirrors.length === 0) {
    throw new MirrorConfigError(`no mirror given and the host's apt configuration (${etcApt}) names none`, {
      path: etcApt,
    });
  }
  return primaryMirrors.map((uri) => ({ uri, suite, components: [...components] }));
}

function dedupe(repositories: AptRepository[]): AptRepository[] {
  const seen = new Set<string>();
  return repositories.filter((r) => {
    const key = `${r.uri} ${r.suite}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function trimSlash(uri: string): string {
  return uri.replace(/\/+$/, '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
