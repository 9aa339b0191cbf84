import { z } from 'zod';
import type { BootstrapProgress } from '../../options.js';
import type { PacmanPackageInfo } from '../package-info.js';

/** What the `verify` hook point gets for each package, after its SHA-256 matched and before anything is installed. */
export interface PacmanVerifyRequest {
  /** The package as its sync database describes it (`pgpSignature` holds `%PGPSIG%`). */
  package: PacmanPackageInfo;
  /** The repository it comes from. */
  repository: string;
  /** The package file on this machine (in the package cache or the package folder). */
  file: string;
  /** Where pacman would look for a detached signature (`FILE.sig` beside the package: a URL, or a path for a folder). */
  signature: string;
}

/** What `verify` found: whether the package's signature was checked and is good (pacman then records `%VALIDATION%` pgp). */
export interface PacmanVerifyResult {
  signatureVerified: boolean;
}

/**
 * Signature checks plug in here: called once per package, in installation order, before anything
 * is written to the target; throwing refuses the whole install (the target is not created).
 */
export type PacmanVerify = (request: PacmanVerifyRequest) => Promise<PacmanVerifyResult | undefined | void>;

/** A repository: a pacman `Server` (its `$repo` and `$arch` substituted) or a local folder of packages, with or without its `NAME.db`. */
export const pacmanRepositorySchema = z.union([
  z
    .object({
      /** The repository's name (`core`): its database is `NAME.db`. */
      name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'not a repository name'),
      /** `https://mirror/$repo/os/$arch` (or file://): the folder holding `NAME.db` and the packages. */
      server: z.string().regex(/^(https?|file):\/\/./, 'expected an http(s):// or file:// URL'),
    })
    .strict(),
  z
    .object({
      name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'not a repository name'),
      /** A local folder of `.pkg.tar.*` files; its `NAME.db` is read when present, else every package's `.PKGINFO`. */
      folder: z.string().min(1),
    })
    .strict(),
]);

export type PacmanRepository = z.input<typeof pacmanRepositorySchema>;

/**
 * Options of `resolvePacmanRootfs`: what decides the package set. `bootstrapPacman`'s options
 * extend these, so the two read the same repositories the same way.
 */
export const pacmanResolveOptionsSchema = z
  .object({
    /** Repositories in pacman.conf order (the first having a name wins). */
    repositories: z.array(pacmanRepositorySchema).min(1),
    /** Targets as `pacman -S` takes them: names, `repo/name`, `name>=version`, provided names, groups. */
    include: z.array(z.string().min(1)).min(1),
    /** `$arch` of server URLs (default x86_64). */
    architecture: z.string().min(1).default('x86_64'),
    /** Cache root (downloaded packages, by SHA-256); resolving alone downloads no package. */
    cacheDir: z.string().min(1).optional(),
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal).optional(),
  })
  .strict();

export type PacmanResolveOptions = z.input<typeof pacmanResolveOptionsSchema>;
export type NormalisedPacmanResolveOptions = z.output<typeof pacmanResolveOptionsSchema>;

/** Options of `bootstrapPacman`: `pacmanResolveOptionsSchema`'s and what installing needs. */
export const pacmanBootstrapOptionsSchema = pacmanResolveOptionsSchema
  .extend({
    /** Directory to create (must not exist or be empty). */
    target: z.string().min(1),
    /** Run the `.INSTALL` functions and alpm hooks in the image root, in a user namespace, as root or not (default true). */
    scripts: z.boolean().default(true),
    /**
     * A failing `.INSTALL` function or hook (or a hook whose Depends are not installed) is an error
     * (default). `false` reports it and goes on, as pacman does; a PreTransaction hook with
     * AbortOnFail always stops the install.
     */
    strictScripts: z.boolean().default(true),
    /** Host folders of extra alpm hooks, overriding the image's by name (pacman's `--hookdir`). */
    hookDirs: z.array(z.string().min(1)).default([]),
    /** Signature checks (see `PacmanVerify`); without it only SHA-256 against the database is checked. */
    verify: z.custom<PacmanVerify>((v) => typeof v === 'function').optional(),
    /** Parallel downloads. */
    concurrency: z.number().int().min(1).max(64).default(4),
    /** Where scriptlet and hook output goes (default: a temp file made when something runs, named in the result). */
    logFile: z.string().min(1).optional(),
    onProgress: z.custom<(event: BootstrapProgress) => void>((v) => typeof v === 'function').optional(),
  })
  .strict();

export type PacmanBootstrapOptions = z.input<typeof pacmanBootstrapOptionsSchema>;
export type NormalisedPacmanBootstrapOptions = z.output<typeof pacmanBootstrapOptionsSchema>;
