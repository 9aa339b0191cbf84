import { binErrorExit, parseCommandLine, UsageError, writeManifest, type FlagValues } from '@distroforge/core';
import { BootstrapOptionsError } from './errors.js';
import type { BootstrapOptions, BootstrapProgress } from './options.js';
import type { PacmanVerify } from './pacman/install/options.js';
import { isPacmanSourceSpec, parsePacmanSourceSpec, pacmanSourceRepositories } from './pacman/install/source-spec.js';
import type { PacmanSigLevel } from './pacman/verify/verify-signature.js';

// Each source's code is loaded when a run asks for it (import() below): a pacman run does not load
// the apt and rpm readers, nor openpgp unless signatures are checked (the bundle is split at these
// imports), which is a good part of the bin's start-up.

export const usage = `Usage:
  rootfs-bootstrap --suite SUITE [--variant VARIANT] [--include PKG,...] [--exclude PKG,...] [--local FILE.deb]...
                   [--mirror URL]... [--components main,...] [--recommends] [--arch ARCH] [--keyring FILE]
                   [--cache DIR] [--manifest FILE] [--no-configure] [--initramfs] [--log FILE]
                   [--min-release-date SUITE=DATE]... [--allow-rollback] [--allow-expired-release]
                   [--insecure-skip-signature-check] [--json] [-v|--verbose] (TARGET | --resolve-only)
  rootfs-bootstrap --source rpm-dir:PATH|rpm-repo:URL|rpm-iso:PATH --include PKG,@GROUP,... [--exclude PKG,...] [--local FILE.rpm]...
                   [--arch ARCH] [--no-weak-deps] [--group-types mandatory,default,optional]
                   [--gpg-check off|report|require] [--gpg-key FILE]... [--scriptlets] [--cache DIR]
                   [--lua-scriptlets skip|fail] [--rpmdb auto|host-rpm|image-rpm|none]
                   [--min-repomd-revision N] [--allow-rollback]
                   [--manifest FILE] [--log FILE] [--json] [-v|--verbose] (TARGET | --resolve-only)
  rootfs-bootstrap --source pacman:URL|pacman-dir:PATH [--repos core,extra] --include PKG,GROUP,...
                   [--sig-level off|optional|required] [--keyring DIR] [--arch ARCH] [--cache DIR]
                   [--manifest FILE] [--log FILE] [--json] [-v|--verbose] (TARGET | --resolve-only)
  rootfs-bootstrap -h|--help

Variants: extract essential apt required minbase important standard (default minbase).
Default mirror: the host's apt sources for SUITE.
--local installs a package file too; it wins over the repositories' package of its name.
--recommends installs what the packages recommend too (when their dependencies can be met), as apt does.
--min-release-date: the oldest acceptable Release Date of SUITE (ISO 8601, e.g. from distroforge.lock);
  --min-repomd-revision: the lowest acceptable repomd.xml revision. Older metadata is refused
  (ERR_BOOTSTRAP_METADATA_ROLLBACK) unless --allow-rollback.
--allow-expired-release accepts a Release past its Valid-Until (archive snapshots).
pacman:URL is a mirror URL as in a pacman mirrorlist ($repo and $arch substituted), --repos its
  repositories in pacman.conf order (required); pacman-dir:PATH a folder of .pkg.tar.* files, with or
  without its NAME.db (the repository: NAME, else the folder's name). --sig-level defaults to required
  for pacman:URL and optional for pacman-dir (pacman's SigLevel and LocalFileSigLevel); --keyring is
  archlinux-keyring's folder (default /usr/share/keyrings), read unless --sig-level off.
`;

/** Runs the command line; returns the exit code (0 ok, 1 distroforge error, 2 usage). */
export async function main(
  argv: readonly string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s),
): Promise<number> {
  try {
    return await run(argv, out);
  } catch (error) {
    return binErrorExit(error, err, usage);
  }
}

const list = (value: string | undefined): string[] =>
  value
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

/** The flags (exported for the test that checks the usage names exactly these). */
export const CLI_OPTIONS = {
  suite: { type: 'string' },
  source: { type: 'string' },
  'no-weak-deps': { type: 'boolean' },
  scriptlets: { type: 'boolean' },
  'lua-scriptlets': { type: 'string' },
  rpmdb: { type: 'string' },
  'group-types': { type: 'string' },
  repos: { type: 'string' },
  'sig-level': { type: 'string' },
  'gpg-check': { type: 'string' },
  'gpg-key': { type: 'string', multiple: true },
  variant: { type: 'string' },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  local: { type: 'string', multiple: true },
  mirror: { type: 'string', multiple: true },
  components: { type: 'string' },
  recommends: { type: 'boolean' },
  arch: { type: 'string' },
  keyring: { type: 'string' },
  cache: { type: 'string' },
  manifest: { type: 'string' },
  log: { type: 'string' },
  'no-configure': { type: 'boolean' },
  initramfs: { type: 'boolean' },
  'insecure-skip-signature-check': { type: 'boolean' },
  'min-release-date': { type: 'string', multiple: true },
  'allow-expired-release': { type: 'boolean' },
  'min-repomd-revision': { type: 'string' },
  'allow-rollback': { type: 'boolean' },
  'resolve-only': { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

type ParsedValues = FlagValues<typeof CLI_OPTIONS>;

/** The kinds of source: apt (`--suite`), rpm (`--source rpm-...`), pacman (`--source pacman...`). */
export type SourceKind = 'apt' | 'rpm' | 'pacman';

/**
 * Which sources each flag applies to: a flag of another source is a usage error rather than
 * silently ignored (an `--allow-expired-release` on an rpm source would do nothing).
 */
export const FLAG_SOURCES: Readonly<Record<keyof typeof CLI_OPTIONS, readonly SourceKind[]>> = {
  suite: ['apt'],
  variant: ['apt'],
  mirror: ['apt'],
  components: ['apt'],
  recommends: ['apt'],
  keyring: ['apt', 'pacman'],
  'no-configure': ['apt'],
  initramfs: ['apt'],
  'insecure-skip-signature-check': ['apt'],
  'min-release-date': ['apt'],
  'allow-expired-release': ['apt'],
  source: ['rpm', 'pacman'],
  'no-weak-deps': ['rpm'],
  scriptlets: ['rpm'],
  'lua-scriptlets': ['rpm'],
  rpmdb: ['rpm'],
  'group-types': ['rpm'],
  'gpg-check': ['rpm'],
  'gpg-key': ['rpm'],
  'min-repomd-revision': ['rpm'],
  repos: ['pacman'],
  'sig-level': ['pacman'],
  include: ['apt', 'rpm', 'pacman'],
  exclude: ['apt', 'rpm'],
  local: ['apt', 'rpm'],
  arch: ['apt', 'rpm', 'pacman'],
  cache: ['apt', 'rpm', 'pacman'],
  manifest: ['apt', 'rpm', 'pacman'],
  log: ['apt', 'rpm', 'pacman'],
  'allow-rollback': ['apt', 'rpm'],
  'resolve-only': ['apt', 'rpm', 'pacman'],
  json: ['apt', 'rpm', 'pacman'],
  verbose: ['apt', 'rpm', 'pacman'],
  help: ['apt', 'rpm', 'pacman'],
};

function sourceKind(values: ParsedValues): SourceKind {
  if (values.source === undefined) return 'apt';
  return isPacmanSourceSpec(values.source) ? 'pacman' : 'rpm';
}

function checkFlagSources(values: ParsedValues): SourceKind {
  const source = sourceKind(values);
  for (const [name, value] of Object.entries(values)) {
    const applies = FLAG_SOURCES[name as keyof typeof CLI_OPTIONS];
    if (value === undefined || applies.includes(source)) continue;
    const kinds = applies.join(' and ');
    throw new UsageError(`--${name} applies to ${kinds} sources only`, {
      value: `--${name}`,
      hint:
        source === 'apt'
          ? `--${name} goes with --source ${applies.includes('rpm') ? 'rpm-...' : 'pacman:URL or pacman-dir:PATH'}`
          : `--source ${values.source} is ${source === 'rpm' ? 'an rpm' : 'a pacman'} source; leave --${name} out`,
    });
  }
  return source;
}

/** `--min-release-date SUITE=DATE`, repeatable: the library's minReleaseDates (it checks the dates). */
function minReleaseDates(given: readonly string[]): Record<string, string> {
  const dates: Record<string, string> = {};
  for (const item of given) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) {
      throw new UsageError(`--min-release-date needs SUITE=DATE, got '${item}'`, {
        value: item,
        hint: '--min-release-date bookworm=2025-01-10T10:00:43Z',
      });
    }
    dates[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return dates;
}

/** `--min-repomd-revision N`: a whole number, as repomd.xml revisions are compared. */
function minRepomdRevision(given: string): number {
  if (!/^\d+$/.test(given))
    throw new UsageError(`--min-repomd-revision needs a whole number, got '${given}'`, {
      value: given,
      hint: '--min-repomd-revision 1700000000',
    });
  return Number(given);
}

/** Strict: an unknown flag is ERR_USAGE with the nearest known one (`did you mean --include?`), exit 2. */
function parseCli(argv: readonly string[]): { values: ParsedValues; positionals: string[] } {
  const { values, positionals } = parseCommandLine(argv, {
    flags: CLI_OPTIONS,
    maxPositionals: 1,
    positionalNames: 'TARGET',
  });
  return { values, positionals };
}

async function run(argv: readonly string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseCli(argv);
  if (values.help) {
    out(usage);
    return 0;
  }
  const kind = checkFlagSources(values);
  if (kind === 'pacman') return runPacman(values, positionals, out);
  if (kind === 'rpm') return runRpm(values, positionals, out);
  if (!values.suite)
    throw new BootstrapOptionsError('--suite (or --source) is required', { hint: usage, value: 'suite' });
  if (values['insecure-skip-signature-check']) {
    process.stderr.write(
      'WARNING: --insecure-skip-signature-check: repository signatures are NOT verified; anyone on the network path can choose what gets installed.\n',
    );
  }
  const common = {
    suite: values.suite,
    ...(values.variant ? { variant: values.variant as never } : {}),
    include: (values.include ?? []).flatMap(list),
    exclude: (values.exclude ?? []).flatMap(list),
    localPackages: values.local ?? [],
    ...(values.mirror ? { mirrors: values.mirror } : {}),
    ...(values.components ? { components: list(values.components) } : {}),
    ...(values.recommends ? { recommends: true } : {}),
    ...(values.arch ? { architecture: values.arch } : {}),
    ...(values.keyring ? { keyring: values.keyring } : {}),
    ...(values.cache ? { cacheDir: values.cache } : {}),
    ...(values['min-release-date'] ? { minReleaseDates: minReleaseDates(values['min-release-date']) } : {}),
    ...(values['allow-rollback'] ? { allowReleaseRollback: true } : {}),
    ...(values['allow-expired-release'] ? { allowExpiredRelease: true } : {}),
    insecureSkipSignatureCheck: values['insecure-skip-signature-check'] ?? false,
    onProgress: progressPrinter(values.json ?? false, values.verbose ?? false, out),
  };
  if (values['resolve-only']) {
    if (positionals.length > 0) throw new BootstrapOptionsError('--resolve-only takes no TARGET', { hint: usage });
    const { resolveRootfs } = await import('./resolve-rootfs.js');
    const result = await resolveRootfs(common);
    if (values.json) out(`${JSON.stringify({ event: 'result', ...result })}\n`);
    else {
      for (const p of result.packages) out(`${p.name} ${p.version} ${p.size}\n`);
      out(
        `${result.packages.length} packages, ${result.totalSize} bytes to download, ${result.totalInstalledSize} bytes installed\n`,
      );
    }
    return 0;
  }
  if (positionals.length !== 1)
    throw new BootstrapOptionsError('exactly one TARGET directory is needed', { hint: usage });
  const options: BootstrapOptions = {
    ...common,
    target: positionals[0] ?? '',
    ...(values['no-configure'] ? { configure: 'never' as const } : {}),
    ...(values.initramfs ? { initramfs: true } : {}),
    ...(values.log ? { logFile: values.log } : {}),
  };
  const { bootstrapRootfs } = await import('./bootstrap-rootfs.js');
  const result = await untilInterrupted((signal) => bootstrapRootfs({ ...options, signal }));
  if (values.manifest) await writeManifest(values.manifest, result.manifest);
  if (values.json) out(`${JSON.stringify({ event: 'result', ...result, manifest: values.manifest ?? null })}\n`);
  else {
    out(
      `${result.target}: ${result.packages.length} packages (${result.suite} ${result.variant} ${result.architecture}) in ${(result.timings.totalMs / 1000).toFixed(1)} s\n`,
    );
    out(
      result.configured
        ? `maintainer scripts ran for ${result.maintainerScripts.length} packages (log ${result.logFile})\n`
        : `maintainer scripts skipped: ${result.skippedReason}\n`,
    );
  }
  return 0;
}

/** A flag that takes one of `choices` (ERR_USAGE otherwise). */
function oneOf<T extends string>(flag: string, given: string | undefined, choices: readonly T[]): T | undefined {
  if (given === undefined) return undefined;
  if (!(choices as readonly string[]).includes(given))
    throw new UsageError(`--${flag} must be ${choices.join(', ')}, got '${given}'`, {
      value: given,
      hint: `--${flag} ${choices.join('|')}`,
    });
  return given as T;
}

/** The rpm sources: resolve, extract with rpm-extract, the rpmdb by rpm --justdb (and scriptlets with --scriptlets). */
async function runRpm(values: ParsedValues, positionals: string[], out: (s: string) => void): Promise<number> {
  const common = {
    source: values.source ?? '',
    include: (values.include ?? []).flatMap(list),
    exclude: (values.exclude ?? []).flatMap(list),
    localPackages: values.local ?? [],
    ...(values.arch ? { architecture: values.arch } : {}),
    ...(values['no-weak-deps'] ? { weakDeps: false } : {}),
    ...(values['group-types'] ? { groupPackageTypes: list(values['group-types']) as never } : {}),
    ...(values['gpg-check'] ? { gpgCheck: values['gpg-check'] as never } : {}),
    ...(values['gpg-key'] ? { gpgKeys: values['gpg-key'] } : {}),
    ...(values['min-repomd-revision'] === undefined
      ? {}
      : { minRepomdRevision: minRepomdRevision(values['min-repomd-revision']) }),
    ...(values['allow-rollback'] ? { allowRepomdRollback: true } : {}),
    ...(values.cache ? { cacheDir: values.cache } : {}),
    onProgress: progressPrinter(values.json ?? false, values.verbose ?? false, out),
  };
  if (values['resolve-only']) {
    if (positionals.length > 0) throw new BootstrapOptionsError('--resolve-only takes no TARGET', { hint: usage });
    const { resolveRpmRootfs } = await import('./rpm/bootstrap.js');
    const result = await resolveRpmRootfs(common);
    if (values.json) out(`${JSON.stringify({ event: 'result', ...result })}\n`);
    else {
      for (const p of result.packages) out(`${p.name} ${p.version} ${p.architecture}\n`);
      out(
        `${result.packages.length} packages, ${result.totalSize} bytes, ${result.totalInstalledSize} bytes installed\n`,
      );
    }
    return 0;
  }
  if (positionals.length !== 1)
    throw new BootstrapOptionsError('exactly one TARGET directory is needed', { hint: usage });
  const lua = oneOf('lua-scriptlets', values['lua-scriptlets'], ['skip', 'fail'] as const);
  const rpmdb = oneOf('rpmdb', values.rpmdb, ['auto', 'host-rpm', 'image-rpm', 'none'] as const);
  const { bootstrapRpmRootfs } = await import('./rpm/bootstrap.js');
  const result = await untilInterrupted((signal) =>
    bootstrapRpmRootfs({
      ...common,
      target: positionals[0] ?? '',
      ...(values.scriptlets ? { scriptlets: true } : {}),
      ...(lua ? { luaScriptlets: lua } : {}),
      ...(rpmdb ? { rpmdb } : {}),
      ...(values.log ? { logFile: values.log } : {}),
      signal,
    }),
  );
  if (values.manifest) await writeManifest(values.manifest, result.manifest);
  if (values.json) out(`${JSON.stringify({ event: 'result', ...result, manifest: values.manifest ?? null })}\n`);
  else {
    out(
      `${result.target}: ${result.packages.length} packages (${result.source} ${result.architecture}) in ${(result.timings.totalMs / 1000).toFixed(1)} s\n`,
    );
    if (result.gpg.mode !== 'off') {
      const bad = result.gpg.packages.filter((p) => !p.verified);
      out(
        `gpg: ${result.gpg.packages.length - bad.length}/${result.gpg.packages.length} package signatures verified${bad.length ? ` (not: ${bad.map((p) => `${p.package} ${p.reason}`).join(', ')})` : ''}${result.gpg.repository ? `; repomd.xml.asc ${result.gpg.repository.verified ? 'verified' : result.gpg.repository.reason}` : ''}\n`,
      );
    }
    out(
      result.configured
        ? `scriptlets ran for ${result.scriptlets.ran.length} packages, ${result.scriptlets.failures.length} failed (log ${result.logFile})\n`
        : `scriptlets skipped: ${result.skippedReason}\n`,
    );
    out(
      result.rpmdb.written
        ? `rpmdb: ${result.rpmdb.dbpath} (${result.rpmdb.backend}, ${result.rpmdb.detectedFrom}) by ${result.rpmdb.writer}\n`
        : 'rpmdb: none\n',
    );
  }
  return 0;
}

const PACMAN_SIG_LEVELS: readonly PacmanSigLevel[] = ['off', 'optional', 'required'];

/** `--sig-level`: one of pacman's levels (ERR_USAGE otherwise). */
function pacmanSigLevel(given: string | undefined, fallback: PacmanSigLevel): PacmanSigLevel {
  if (given === undefined) return fallback;
  if (!(PACMAN_SIG_LEVELS as readonly string[]).includes(given)) {
    throw new UsageError(`--sig-level must be off, optional or required, got '${given}'`, {
      value: given,
      hint: "--sig-level required (pacman's SigLevel = Required), optional, or off",
    });
  }
  return given as PacmanSigLevel;
}

/** The pacman sources: `bootstrapPacman` (or `resolvePacmanRootfs` with --resolve-only). */
async function runPacman(values: ParsedValues, positionals: string[], out: (s: string) => void): Promise<number> {
  const spec = parsePacmanSourceSpec(values.source ?? '');
  const repos = list(values.repos);
  if (spec.kind === 'pacman' && repos.length === 0) {
    throw new UsageError(`--source ${values.source} needs --repos`, {
      value: '--repos',
      hint: '--repos core,extra (the repositories in pacman.conf order; $repo in the URL is each name)',
    });
  }
  if (spec.kind === 'pacman-dir' && values.repos !== undefined) {
    throw new UsageError('--repos applies to pacman:URL only', {
      value: '--repos',
      hint: `a pacman-dir folder is one repository, named by its NAME.db (else the folder's name); leave --repos out`,
    });
  }
  const include = (values.include ?? []).flatMap(list);
  if (include.length === 0)
    throw new UsageError('--include is required with a pacman source', {
      value: '--include',
      hint: '--include base,linux (packages, provided names or groups, as pacman -S takes them)',
    });
  const level = pacmanSigLevel(values['sig-level'], spec.kind === 'pacman' ? 'required' : 'optional');
  const resolveOptions = {
    repositories: await pacmanSourceRepositories(spec, repos),
    include,
    ...(values.arch ? { architecture: values.arch } : {}),
    ...(values.cache ? { cacheDir: values.cache } : {}),
  };
  if (values['resolve-only']) {
    if (positionals.length > 0) throw new BootstrapOptionsError('--resolve-only takes no TARGET', { hint: usage });
    const { resolvePacmanRootfs } = await import('./pacman/install/resolve-rootfs.js');
    const result = await resolvePacmanRootfs(resolveOptions);
    if (values.json) out(`${JSON.stringify({ event: 'result', ...result })}\n`);
    else {
      for (const p of result.packages) out(`${p.name} ${p.version} ${p.repository}\n`);
      out(`${result.packages.length} packages\n`);
    }
    return 0;
  }
  if (positionals.length !== 1)
    throw new BootstrapOptionsError('exactly one TARGET directory is needed', { hint: usage });
  const verify: PacmanVerify | undefined = level === 'off' ? undefined : await pacmanVerifier(values.keyring, level);
  const { bootstrapPacman } = await import('./pacman/install/bootstrap.js');
  const started = performance.now();
  const result = await untilInterrupted((signal) =>
    bootstrapPacman({
      ...resolveOptions,
      target: positionals[0] ?? '',
      ...(verify ? { verify } : {}),
      ...(values.log ? { logFile: values.log } : {}),
      onProgress: progressPrinter(values.json ?? false, values.verbose ?? false, out),
      signal,
    }),
  );
  if (values.manifest) await writeManifest(values.manifest, result.manifest);
  if (values.json)
    out(`${JSON.stringify({ event: 'result', ...result, sigLevel: level, manifest: values.manifest ?? null })}\n`);
  else {
    const verified = result.packages.filter((p) => p.validation.includes('pgp')).length;
    out(
      `${result.target}: ${result.packages.length} packages (${resolveOptions.repositories.map((r) => r.name).join(', ')}) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
    out(
      `signatures: ${level === 'off' ? 'not checked (--sig-level off)' : `${verified}/${result.packages.length} verified (--sig-level ${level})`}\n`,
    );
    const failed =
      result.scriptlets.filter((x) => x.status === 'failed').length +
      result.hooks.filter((h) => h.status === 'failed').length;
    out(
      `${result.scriptlets.filter((x) => x.status === 'ran').length} .INSTALL functions and ${result.hooks.filter((h) => h.status === 'ran').length} hooks ran, ${failed} failed${result.logFile ? ` (log ${result.logFile})` : ''}\n`,
    );
  }
  return 0;
}

/** The signature check of a pacman run (openpgp loaded only then). */
async function pacmanVerifier(
  keyring: string | undefined,
  level: Exclude<PacmanSigLevel, 'off'>,
): Promise<PacmanVerify> {
  const [{ loadPacmanKeyring }, { pacmanSignatureVerifier }] = await Promise.all([
    import('./pacman/verify/load-keyring.js'),
    import('./pacman/verify/verifier.js'),
  ]);
  return pacmanSignatureVerifier(await loadPacmanKeyring(keyring ?? '/usr/share/keyrings'), { level });
}

function progressPrinter(
  json: boolean,
  verbose: boolean,
  out: (s: string) => void,
): (event: BootstrapProgress) => void {
  return (event) => {
    if (json) out(`${JSON.stringify({ event: 'progress', ...event })}\n`);
    else if (verbose || (process.stderr.isTTY && event.phase !== 'download' && event.phase !== 'unpack')) {
      process.stderr.write(`${formatProgress(event)}\n`);
    }
  };
}

function formatProgress(event: BootstrapProgress): string {
  switch (event.phase) {
    case 'index':
      return `${event.done ? 'indexed' : 'indexing'} ${event.repository}`;
    case 'resolve':
      return `resolved ${event.packages} packages`;
    case 'download':
      return `${event.cached ? 'cached' : 'downloaded'} ${event.name} (${event.done}/${event.total})`;
    case 'unpack':
      return `unpacked ${event.name} (${event.done}/${event.total})`;
    case 'configure':
      return event.step;
  }
}

/**
 * Runs `body` with a signal that SIGINT and SIGTERM abort: Ctrl-C must not kill Node before the
 * image's scripts are stopped and mounts undone; the bootstrap fails and its finally blocks clean up.
 */
async function untilInterrupted<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  try {
    return await body(controller.signal);
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
}
