import { z } from 'zod';
import type { BootstrapProgress } from '../options.js';
import { COMPS_PACKAGE_TYPES } from './comps-groups.js';

/** The rpm architecture of the host (`x86_64`, `aarch64`...). */
export function hostRpmArchitecture(): string {
  const map: Record<string, string> = {
    x64: 'x86_64',
    arm64: 'aarch64',
    ia32: 'i686',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
  };
  return map[process.arch] ?? process.arch;
}

/** Options of `resolveRpmRootfs` (dry run) and `bootstrapRpmRootfs`. */
export const rpmResolveOptionsSchema = z
  .object({
    /** `rpm-dir:PATH` (a folder tree of .rpm files), `rpm-iso:PATH` (an ISO image), `rpm-repo:URL` (repodata; http(s) or file://). */
    source: z.string().regex(/^rpm-(dir|iso|repo):.+$/, 'expected rpm-dir:PATH, rpm-iso:PATH or rpm-repo:URL'),
    /** Packages, capabilities (`bash`, `/bin/sh`) or comps groups (`@minimal`, `@^minimal-environment`) to install. */
    include: z.array(z.string().min(1)).default([]),
    /** Package names never to install. */
    exclude: z.array(z.string().min(1)).default([]),
    /**
     * Local `.rpm` files to install too, as if from an extra repository that wins over the source
     * for their package names; their dependencies come from the source.
     */
    localPackages: z.array(z.string().min(1)).default([]),
    /** rpm architecture of the target (default: the host's). */
    architecture: z.string().min(1).default(hostRpmArchitecture()),
    /** Install Recommends (dnf's install_weak_deps). */
    weakDeps: z.boolean().default(true),
    /** Which packagereq types of an `@group` include to install (dnf's `group_package_types`); conditional ones always apply. */
    groupPackageTypes: z.array(z.enum(COMPS_PACKAGE_TYPES)).min(1).default(['mandatory', 'default']),
    /**
     * OpenPGP checks against `gpgKeys`: `off`; `report` verifies rpm-repo's `repodata/repomd.xml.asc`
     * and every installed package's signature and reports them (key id, verified or why not);
     * `require` also refuses an unsigned or unverified repository or package (dnf's gpgcheck +
     * repo_gpgcheck). Resolution alone checks only repomd.xml.asc.
     */
    gpgCheck: z.enum(['off', 'report', 'require']).default('off'),
    /** OpenPGP public keys (binary keyrings or armoured exports, e.g. `RPM-GPG-KEY-Rocky-10`). */
    gpgKeys: z.array(z.string().min(1)).default([]),
    /**
     * rpm-repo: the lowest acceptable repomd.xml `revision` (an integer, e.g. from a lock file's
     * `repositories[].revision`); a lower one is a rollback (`ERR_BOOTSTRAP_METADATA_ROLLBACK`).
     * A repomd.xml without a revision is not checked.
     */
    minRepomdRevision: z.number().int().min(0).optional(),
    /** Accept a repomd.xml `revision` below `minRepomdRevision` (going back on purpose). */
    allowRepomdRollback: z.boolean().default(false),
    /** Cache root (index cache, ISO extraction, downloaded packages). */
    cacheDir: z.string().min(1).optional(),
    onProgress: z.custom<(event: BootstrapProgress) => void>((v) => typeof v === 'function').optional(),
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal).optional(),
  })
  .strict();

export const rpmBootstrapOptionsSchema = rpmResolveOptionsSchema
  .extend({
    /** Directory to create (must not exist or be empty). */
    target: z.string().min(1),
    /** Parallel downloads (rpm-repo over http). */
    concurrency: z.number().int().min(1).max(64).default(4),
    /** Run `%pre`/`%post` in a chroot of the tree after extraction (needs root; default false). */
    scriptlets: z.boolean().default(false),
    /** Stop at the first failing scriptlet instead of reporting it and going on (a failing %pretrans or %pre always stops). */
    abortOnScriptletFailure: z.boolean().default(false),
    /**
     * `<lua>` scriptlets run with the image's own rpm (`/usr/bin/rpm --eval`) once it is installed,
     * before that with the host's librpm entering the image root (python3-rpm, as rpm runs them
     * in-process after its chroot). On a host without python3-rpm, those before the image's rpm:
     * `skip` leaves them out and reports each in `scriptlets.skipped` with its reason, `fail`
     * throws `ERR_BOOTSTRAP_RPM_LUA`.
     */
    luaScriptlets: z.enum(['skip', 'fail']).default('skip'),
    /**
     * The image's rpm database (path and format from the image's rpm macros or its rpm package):
     * `auto` writes it with the host's librpm (python3-rpm) when the format is sqlite, one header
     * before each package's `%post` as rpm does (reproducible with SOURCE_DATE_EPOCH), else whole
     * before `%posttrans` with the image's own rpm in the image root (e.g. bdb for EL 8's rpm 4.14;
     * install times are then the build's); `host-rpm` / `image-rpm` force one writer; `none` writes none.
     */
    rpmdb: z.enum(['auto', 'host-rpm', 'image-rpm', 'none']).default('auto'),
    /** Where scriptlet output goes (default: a temp file, named in the result). */
    logFile: z.string().min(1).optional(),
  })
  .strict();

export type RpmResolveOptions = z.input<typeof rpmResolveOptionsSchema>;
export type RpmBootstrapOptions = z.input<typeof rpmBootstrapOptionsSchema>;
export type NormalisedRpmResolveOptions = z.output<typeof rpmResolveOptionsSchema>;
