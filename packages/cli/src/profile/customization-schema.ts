import { z } from 'zod';

// `scripts:` and `extraTrees:` (issue 25), kept apart from profile-schema.ts so that file only names them.

/** The phases a profile's scripts run in, in build order (each is a build stage of that name). */
export const SCRIPT_PHASES = ['prepare', 'postinstall', 'finalize'] as const;
export type ScriptPhase = (typeof SCRIPT_PHASES)[number];

const relativePath = z
  .string()
  .min(1)
  .refine(
    (p) => !p.startsWith('/') && !p.split('/').includes('..'),
    'a path inside the profile directory (relative, no ..)',
  );

const scriptObject = z
  .object({
    path: relativePath.describe(
      'an executable of the profile directory (e.g. scripts/locale.sh), run inside the image root',
    ),
    network: z.boolean().default(false).describe('let the script reach the network (default: none)'),
    inputs: z
      .array(relativePath)
      .default([])
      .describe(
        "further files or folders of the profile the script reads from $DISTROFORGE_PROFILE_DIR; their contents and modes are part of the phase's cache key",
      ),
  })
  .strict();

/** One script: its path, or `{ path, network, inputs }`. */
const script = z
  .union([relativePath, scriptObject])
  .describe('a path of the profile directory, or { path, network, inputs }');
export type ProfileScript = z.output<typeof scriptObject>;

export const scriptsSchema = z
  .object({
    prepare: z
      .array(script)
      .default([])
      .describe('after the packages are installed, before airootfs/ and the settings'),
    postinstall: z.array(script).default([]).describe('after airootfs/, extraTrees, users, services and settings'),
    finalize: z.array(script).default([]).describe('the last change to the tree, before the images are made'),
  })
  .strict()
  .describe('executables run inside the image root, per phase, in a user namespace (see packages/cli/README.md)');

/** A phase's scripts in one form. */
export function phaseScripts(scripts: z.output<typeof scriptsSchema>, phase: ScriptPhase): ProfileScript[] {
  return scripts[phase].map((s) => (typeof s === 'string' ? { path: s, network: false, inputs: [] } : s));
}

export const extraTreeSchema = z
  .object({
    from: relativePath.describe('a folder or a tarball (.tar, .tar.gz, .tar.xz, .tar.zst...) of the profile directory'),
    to: z
      .string()
      .regex(/^\/[^\n]*$/, 'an absolute path in the image, e.g. /opt/repo')
      .refine((p) => !p.split('/').includes('..'), 'no .. in the target path')
      .describe('where its contents land in the image'),
    owner: z
      .string()
      .regex(/^\d+:\d+$/, 'expected "uid:gid", e.g. "0:0"')
      .default('0:0')
      .describe('owner of everything copied (modes are kept, as for airootfs/)'),
  })
  .strict();
export type ExtraTree = z.output<typeof extraTreeSchema>;
