import { optionIssuesMessage, parseOptions as parseWithSchema, type OptionIssue } from '@distroforge/core';
import { z } from 'zod';
import type { ReleaseChecks } from './apt/repository-index.js';
import { BootstrapOptionsError } from './errors.js';
import type { DownloadProgress } from './package-cache.js';
import { VARIANTS } from './apt/variant.js';

/** Progress events of a bootstrap run, in order of phases. */
export type BootstrapProgress =
  | { phase: 'index'; repository: string; done: boolean }
  | { phase: 'resolve'; packages: number }
  | DownloadProgress
  | { phase: 'unpack'; name: string; done: number; total: number }
  | { phase: 'configure'; step: string };

/** An ISO 8601 date-time (`2025-01-10T10:00:43Z`) or a Date, as a Date. */
const isoInstant = z.union([z.date(), z.iso.datetime({ offset: true })]).transform((v) => new Date(v));

const packageName = z.string().regex(/^[a-z0-9][a-z0-9+.-]*$/, 'not a Debian package name');

/** Options shared by `resolveRootfs` (dry run) and `bootstrapRootfs`. */
export const resolveOptionsSchema = z
  .object({
    /** Suite or codename, e.g. `bookworm`. */
    suite: z.string().min(1),
    /** Base package set (default `minbase`, the same as `required`). */
    variant: z.enum(VARIANTS).default('minbase'),
    /** Extra packages to install. */
    include: z.array(packageName).default([]),
    /** Packages never to install (dependencies choose other alternatives). */
    exclude: z.array(packageName).default([]),
    /**
     * Also install what the packages recommend (apt's Recommends), as apt does unless told not to:
     * each recommendation with its dependencies when they can be met, skipped otherwise. Default
     * false, like debootstrap and mmdebstrap's own package sets.
     */
    recommends: z.boolean().default(false),
    /**
     * Local `.deb` files to install too, as if from an extra repository that wins over the mirrors
     * for their package names; their dependencies come from the mirrors.
     */
    localPackages: z.array(z.string().min(1)).default([]),
    /**
     * Mirror URLs (`http://deb.debian.org/debian`, `file:///srv/mirror`) or one-line `deb URI SUITE
     * COMPONENTS` entries. Default: the host's apt configuration for the suite.
     */
    mirrors: z.array(z.string().min(1)).optional(),
    components: z.array(z.string().min(1)).min(1).default(['main']),
    /** Debian architecture (default: the host's). */
    architecture: z.string().min(1).default(hostArchitecture()),
    /** OpenPGP keyring for repositories without `Signed-By`. */
    keyring: z.string().min(1).default('/usr/share/keyrings/debian-archive-keyring.gpg'),
    /** DANGER: accept unsigned or badly signed repository metadata (and an expired one). Digests are still checked. */
    insecureSkipSignatureCheck: z.boolean().default(false),
    /**
     * Per suite as requested (`bookworm`, `bookworm-security`), the oldest acceptable Release `Date`
     * (ISO 8601), e.g. from a lock file (`ResolveResult.releases[].date`): an older Release is a
     * rollback (`ERR_BOOTSTRAP_METADATA_ROLLBACK`). Suites not named have no minimum.
     */
    minReleaseDates: z.record(z.string().min(1), isoInstant).default({}),
    /** Accept a Release older than `minReleaseDates` (going back to an older snapshot on purpose). */
    allowReleaseRollback: z.boolean().default(false),
    /** Accept a Release past its `Valid-Until`, like apt's `Check-Valid-Until=no` (archive snapshots). */
    allowExpiredRelease: z.boolean().default(false),
    /** Cache root (default `$XDG_CACHE_HOME/distroforge` or `~/.cache/distroforge`). */
    cacheDir: z.string().min(1).optional(),
    /** The host's apt configuration directory, for the default mirror. */
    aptConfigDir: z.string().min(1).default('/etc/apt'),
    onProgress: z.custom<(event: BootstrapProgress) => void>((v) => typeof v === 'function').optional(),
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal).optional(),
  })
  .strict();

export const bootstrapOptionsSchema = resolveOptionsSchema
  .extend({
    /** Directory to create (must not exist or be empty). */
    target: z.string().min(1),
    /** Parallel downloads. */
    concurrency: z.number().int().min(1).max(64).default(4),
    /**
     * Run maintainer scripts (the target's `dpkg` in its root, in a user namespace, as root or not):
     * `auto` and `always` run them and fail before any work when the machine cannot (user namespaces
     * off, no uidmap, no subordinate ids: the error says how to fix it); `never` unpacks only.
     */
    configure: z.enum(['auto', 'always', 'never']).default('auto'),
    /** Let kernel packages build an initramfs (default false: update-initramfs is diverted). */
    initramfs: z.boolean().default(false),
    /** Where dpkg's output goes (default: a file beside the target, named in errors). */
    logFile: z.string().min(1).optional(),
    /**
     * Called once every package's files are in the tree, before the scripts of the packages
     * unpacked last run (their preinsts and the last `dpkg --configure`), with the tree being built
     * (not `target` yet). What packages ship is there to read; the scripts have not yet made what
     * they make (a kernel's module index, say). The install waits for the returned promise, and
     * fails with its error. For work that can start before the root is finished (a caller's copy of
     * the kernel and its modules); never write into the tree.
     */
    onFilesUnpacked: z.custom<(root: string) => void | Promise<void>>((v) => typeof v === 'function').optional(),
  })
  .strict();

export type ResolveOptions = z.input<typeof resolveOptionsSchema>;
export type BootstrapOptions = z.input<typeof bootstrapOptionsSchema>;
export type NormalisedResolveOptions = z.output<typeof resolveOptionsSchema>;
export type NormalisedBootstrapOptions = z.output<typeof bootstrapOptionsSchema>;

/** Validates options with zod (core's `parseOptions`); failures become one `BootstrapOptionsError` naming every problem. */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown): z.output<S> {
  return parseWithSchema(schema, options, invalidOptions);
}

/** The options error naming every problem found (`value` the first key, `issues` all of them). */
export function invalidOptions(issues: readonly OptionIssue[]): BootstrapOptionsError {
  return new BootstrapOptionsError(optionIssuesMessage(issues), { value: issues[0]?.key, issues });
}

/** The Debian name of the host's architecture. */
export function hostArchitecture(): string {
  const map: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    ia32: 'i386',
    arm: 'armhf',
    ppc64: 'ppc64el',
    s390x: 's390x',
    riscv64: 'riscv64',
    loong64: 'loong64',
  };
  return map[process.arch] ?? process.arch;
}

/** The Release checks (`checkReleaseAcceptable`) the options ask for. */
export function releaseChecksOf(options: NormalisedResolveOptions): ReleaseChecks {
  return {
    minDates: options.minReleaseDates,
    allowRollback: options.allowReleaseRollback,
    allowExpired: options.allowExpiredRelease,
  };
}
