import { binErrorExit, parseCommandLine } from '@distroforge/core';
import { readdir, writeFile } from 'node:fs/promises';
import { formatDumpLine } from './dump-format.js';
import { rpmError } from './errors.js';
import { extractPackage } from './extract-package.js';
import { extractDefaults, verifyDefaults } from './option-defaults.js';
import { readRpm } from './read-rpm.js';
import type { RpmDependency, RpmPackage } from './types.js';
import { verifyPackage } from './verify-package.js';

export const usage = `Usage: rpm-extract FILE.rpm [-C DIR] [--list] [--info] [--verify] [--json] [--manifest FILE] [--no-verify]
  (default)        extract into DIR (default: the current directory), checking every digest
  -C, --directory  where to extract; a missing or empty DIR is created atomically, an existing one is merged into
  --list           list the files as \`rpm -qp --dump\` does (header only)
  --info           show the package header (name, version, dependencies, scriptlets, payload, signatures)
  --verify         check header, payload and file digests; exit 1 on a mismatch
  --json           print JSON instead of text
  --manifest FILE  after extracting, write owners/groups/modes/devices/caps as JSON to FILE
  --no-verify      extract without checking digests (like rpm2cpio | cpio)
  -h, --help       this text
Exit codes: 0 ok, 1 verification failed or package error, 2 usage.
`;

/** Runs the command line; returns the exit code (0 ok, 1 failure or distroforge error, 2 usage). */
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

/** The flags (exported for the test that checks the usage names exactly these). */
export const FLAGS = {
  directory: { type: 'string', short: 'C' },
  list: { type: 'boolean' },
  info: { type: 'boolean' },
  verify: { type: 'boolean' },
  json: { type: 'boolean' },
  manifest: { type: 'string' },
  'no-verify': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function run(argv: readonly string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    flags: FLAGS,
    maxPositionals: 1,
    positionalNames: 'FILE.rpm',
  });
  if (values.help) {
    out(usage);
    return 0;
  }
  const [file] = positionals;
  if (file === undefined) {
    out(usage);
    return 2;
  }
  const json = values.json === true;
  if (values.info) {
    const pkg = await readRpm(file);
    out(json ? `${JSON.stringify(publicInfo(pkg), null, 2)}\n` : formatInfo(pkg));
    return 0;
  }
  if (values.list) {
    const pkg = await readRpm(file);
    for (const f of pkg.files) out(json ? `${JSON.stringify(f)}\n` : `${formatDumpLine(f, pkg.fileDigestAlgorithm)}\n`);
    return 0;
  }
  if (values.verify) {
    const result = await verifyPackage(file, verifyDefaults);
    if (json)
      out(`${JSON.stringify({ ok: result.ok, checks: result.checks, signatures: result.signatures }, null, 2)}\n`);
    else {
      for (const c of result.checks)
        out(`${c.name}: ${c.ok ? 'OK' : `BAD (expected ${c.expected}, got ${c.actual})`}\n`);
      for (const s of result.signatures)
        out(
          `signature (${s.tag}): ${s.publicKeyAlgorithm}/${s.hashAlgorithm} key ID ${s.keyId || 'unknown'} (not verified)\n`,
        );
      out(`${file}: ${result.ok ? 'digests OK' : 'DIGESTS NOT OK'}\n`);
    }
    return result.ok ? 0 : 1;
  }
  const directory = values.directory ?? '.';
  const merge = (await readdir(directory).catch(() => [])).length > 0;
  // extractRpm's defaults, not its validation: the bin never loads zod.
  const result = await extractPackage(file, directory, {
    ...extractDefaults,
    merge,
    verify: values['no-verify'] !== true,
  });
  if (values.manifest)
    await writeFile(values.manifest, `${JSON.stringify(result.manifest, null, 2)}\n`).catch((cause: unknown) => {
      throw rpmError('ERR_RPM_WRITE', `cannot write ${values.manifest}: ${(cause as Error).message}`, {
        path: values.manifest,
        cause,
      });
    });
  if (json)
    out(
      `${JSON.stringify({ directory: result.directory, filesWritten: result.filesWritten, bytesWritten: result.bytesWritten, skipped: result.skipped, checks: result.checks, manifest: result.manifest }, null, 2)}\n`,
    );
  else
    out(
      `${result.package.nevra}: ${result.filesWritten} files, ${result.bytesWritten} bytes -> ${result.directory}${result.skipped.length ? ` (${result.skipped.length} not created: ${result.skipped.map((s) => `${s.path} [${s.reason}]`).join(', ')})` : ''}\n`,
    );
  return 0;
}

/** The package info without the raw tag maps (not JSON-serialisable, and noisy). */
function publicInfo(pkg: RpmPackage): Omit<RpmPackage, 'headerTags' | 'signatureTags'> {
  const { headerTags, signatureTags, ...rest } = pkg;
  void headerTags;
  void signatureTags;
  return rest;
}

function formatInfo(pkg: RpmPackage): string {
  const deps = (list: RpmDependency[]) =>
    list.map((d) => `    ${d.name}${d.comparison ? ` ${d.comparison} ${d.version}` : ''}`).join('\n');
  const lines = [
    `Name        : ${pkg.name}`,
    `Epoch       : ${pkg.epoch ?? '(none)'}`,
    `Version     : ${pkg.version}`,
    `Release     : ${pkg.release}`,
    `Architecture: ${pkg.arch}${pkg.isSource ? ' (source package)' : ''}`,
    `Size        : ${pkg.size ?? '(none)'}`,
    `License     : ${pkg.license}`,
    `Summary     : ${pkg.summary}`,
    `Payload     : ${pkg.payload.format}, ${pkg.payload.compressor ?? 'gzip (implied)'}${pkg.payload.flags ? ` level ${pkg.payload.flags}` : ''}${pkg.payload.large ? ', large files' : ''}`,
    `Files       : ${pkg.files.length} (digests: ${pkg.fileDigestAlgorithm})`,
    `Signatures  : ${pkg.signatures.map((s) => `${s.tag} ${s.publicKeyAlgorithm}/${s.hashAlgorithm} key ID ${s.keyId}`).join('; ') || '(none)'}`,
  ];
  for (const kind of [
    'requires',
    'provides',
    'conflicts',
    'obsoletes',
    'recommends',
    'suggests',
    'supplements',
    'enhances',
  ] as const) {
    if (pkg[kind].length) lines.push(`${kind}:`, deps(pkg[kind]));
  }
  for (const [name, script] of Object.entries(pkg.scripts))
    lines.push(
      `${name} scriptlet (${script.interpreter.join(' ')})${script.body === undefined ? '' : `:\n${script.body.replace(/^/gm, '    ')}`}`,
    );
  return `${lines.join('\n')}\n`;
}
