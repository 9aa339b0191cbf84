import { binErrorExit, parseCommandLine, writeManifest, type FlagValues } from '@distroforge/core';
import { bootstrapRootfs } from './bootstrap-rootfs.js';
import { BootstrapOptionsError } from './errors.js';
import type { BootstrapOptions, BootstrapProgress } from './options.js';
import { resolveRootfs } from './resolve-rootfs.js';
import { bootstrapRpmRootfs, resolveRpmRootfs } from './rpm-bootstrap.js';

export const usage = `Usage:
  rootfs-bootstrap --suite SUITE [--variant VARIANT] [--include PKG,...] [--exclude PKG,...] [--local FILE.deb]... TARGET
                   [--mirror URL]... [--components main,...] [--arch ARCH] [--keyring FILE]
                   [--cache DIR] [--manifest FILE] [--no-configure] [--initramfs] [--log FILE]
                   [--insecure-skip-signature-check] [--json] [--verbose]
  rootfs-bootstrap --suite SUITE [--variant VARIANT] [--include PKG,...] --resolve-only [--json]
  rootfs-bootstrap --source rpm-dir:PATH|rpm-repo:URL|rpm-iso:PATH --include PKG,@GROUP,... [--exclude PKG,...] [--local FILE.rpm]...
                   [--arch ARCH] [--no-weak-deps] [--group-types mandatory,default,optional]
                   [--gpg-check off|report|require] [--gpg-key FILE]... [--scriptlets] [--cache DIR]
                   [--manifest FILE] [--log FILE] [--json] (TARGET | --resolve-only)

Variants: extract essential apt required minbase important standard (default minbase).
Default mirror: the host's apt sources for SUITE.
--local installs a package file too; it wins over the repositories' package of its name.
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

const list = (value: string | undefined): string[] => (value ? value.split(',').map((s) => s.trim()).filter(Boolean) : []);

const CLI_OPTIONS = {
  suite: { type: 'string' },
  source: { type: 'string' },
  'no-weak-deps': { type: 'boolean' },
  scriptlets: { type: 'boolean' },
  'group-types': { type: 'string' },
  'gpg-check': { type: 'string' },
  'gpg-key': { type: 'string', multiple: true },
  variant: { type: 'string' },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  local: { type: 'string', multiple: true },
  mirror: { type: 'string', multiple: true },
  components: { type: 'string' },
  arch: { type: 'string' },
  keyring: { type: 'string' },
  cache: { type: 'string' },
  manifest: { type: 'string' },
  log: { type: 'string' },
  'no-configure': { type: 'boolean' },
  initramfs: { type: 'boolean' },
  'insecure-skip-signature-check': { type: 'boolean' },
  'resolve-only': { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

type ParsedValues = FlagValues<typeof CLI_OPTIONS>;

/** Strict: an unknown flag is ERR_USAGE with the nearest known one (`did you mean --include?`), exit 2. */
function parseCli(argv: readonly string[]): { values: ParsedValues; positionals: string[] } {
  const { values, positionals } = parseCommandLine(argv, { flags: CLI_OPTIONS, maxPositionals: 1, positionalNames: 'TARGET' });
  return { values, positionals };
}

async function run(argv: readonly string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseCli(argv);
  if (values.help) {
    out(usage);
    return 0;
  }
  if (values.source) return runRpm(values, positionals, out);
  if (!values.suite) throw new BootstrapOptionsError('--suite (or --source) is required', { hint: usage, value: 'suite' });
  if (values['insecure-skip-signature-check']) {
    process.stderr.write('WARNING: --insecure-skip-signature-check: repository signatures are NOT verified; anyone on the network path can choose what gets installed.\n');
  }
  const common = {
    suite: values.suite,
    ...(values.variant ? { variant: values.variant as never } : {}),
    include: (values.include ?? []).flatMap(list),
    exclude: (values.exclude ?? []).flatMap(list),
    localPackages: values.local ?? [],
    ...(values.mirror ? { mirrors: values.mirror } : {}),
    ...(values.components ? { components: list(values.components) } : {}),
    ...(values.arch ? { architecture: values.arch } : {}),
    ...(values.keyring ? { keyring: values.keyring } : {}),
    ...(values.cache ? { cacheDir: values.cache } : {}),
    insecureSkipSignatureCheck: values['insecure-skip-signature-check'] ?? false,
    onProgress: progressPrinter(values.json ?? false, values.verbose ?? false, out),
  };
  if (values['resolve-only']) {
    if (positionals.length > 0) throw new BootstrapOptionsError('--resolve-only takes no TARGET', { hint: usage });
    const result = await resolveRootfs(common);
    if (values.json) out(`${JSON.stringify({ event: 'result', ...result })}\n`);
    else {
      for (const p of result.packages) out(`${p.name} ${p.version} ${p.size}\n`);
      out(`${result.packages.length} packages, ${result.totalSize} bytes to download, ${result.totalInstalledSize} bytes installed\n`);
    }
    return 0;
  }
  if (positionals.length !== 1) throw new BootstrapOptionsError('exactly one TARGET directory is needed', { hint: usage });
  const options: BootstrapOptions = {
    ...common,
    target: positionals[0] ?? '',
    ...(values['no-configure'] ? { configure: 'never' as const } : {}),
    ...(values.initramfs ? { initramfs: true } : {}),
    ...(values.log ? { logFile: values.log } : {}),
  };
  // Ctrl-C must not kill Node before the chroot's mounts are undone: abort instead, let the
  // running dpkg fail, and let the finally blocks unmount and clean up.
  const controller = new AbortController();
  const abort = () => controller.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  let result;
  try {
    result = await bootstrapRootfs({ ...options, signal: controller.signal });
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
  if (values.manifest) await writeManifest(values.manifest, result.manifest);
  if (values.json) out(`${JSON.stringify({ event: 'result', ...result, manifest: values.manifest ?? null })}\n`);
  else {
    out(`${result.target}: ${result.packages.length} packages (${result.suite} ${result.variant} ${result.architecture}) in ${(result.timings.totalMs / 1000).toFixed(1)} s\n`);
    out(result.configured ? `maintainer scripts ran for ${result.maintainerScripts.length} packages (log ${result.logFile})\n` : `maintainer scripts skipped: ${result.skippedReason}\n`);
  }
  return 0;
}

/** The rpm sources: resolve and extract with rpm-extract (no scriptlets, no rpmdb). */
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
    ...(values.cache ? { cacheDir: values.cache } : {}),
    onProgress: progressPrinter(values.json ?? false, values.verbose ?? false, out),
  };
  if (values['resolve-only']) {
    if (positionals.length > 0) throw new BootstrapOptionsError('--resolve-only takes no TARGET', { hint: usage });
    const result = await resolveRpmRootfs(common);
    if (values.json) out(`${JSON.stringify({ event: 'result', ...result })}\n`);
    else {
      for (const p of result.packages) out(`${p.name} ${p.version} ${p.architecture}\n`);
      out(`${result.packages.length} packages, ${result.totalSize} bytes, ${result.totalInstalledSize} bytes installed\n`);
    }
    return 0;
  }
  if (positionals.length !== 1) throw new BootstrapOptionsError('exactly one TARGET directory is needed', { hint: usage });
  const controller = new AbortController();
  const abort = () => controller.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  let result;
  try {
    result = await bootstrapRpmRootfs({
      ...common,
      target: positionals[0] ?? '',
      ...(values.scriptlets ? { scriptlets: true } : {}),
      ...(values.log ? { logFile: values.log } : {}),
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
  if (values.manifest) await writeManifest(values.manifest, result.manifest);
  if (values.json) out(`${JSON.stringify({ event: 'result', ...result, manifest: values.manifest ?? null })}\n`);
  else {
    out(`${result.target}: ${result.packages.length} packages (${result.source} ${result.architecture}) in ${(result.timings.totalMs / 1000).toFixed(1)} s\n`);
    if (result.gpg.mode !== 'off') {
      const bad = result.gpg.packages.filter((p) => !p.verified);
      out(`gpg: ${result.gpg.packages.length - bad.length}/${result.gpg.packages.length} package signatures verified${bad.length ? ` (not: ${bad.map((p) => `${p.package} ${p.reason}`).join(', ')})` : ''}${result.gpg.repository ? `; repomd.xml.asc ${result.gpg.repository.verified ? 'verified' : result.gpg.repository.reason}` : ''}\n`);
    }
    out(result.configured ? `scriptlets ran for ${result.scriptlets.ran.length} packages, ${result.scriptlets.failures.length} failed (log ${result.logFile})\n` : `scriptlets skipped: ${result.skippedReason}\n`);
  }
  return 0;
}

function progressPrinter(json: boolean, verbose: boolean, out: (s: string) => void): (event: BootstrapProgress) => void {
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
