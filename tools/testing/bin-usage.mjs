// Usage texts against the parser: every flag spelling a usage text names, and the built bin as a
// user runs it (`node <the package.json's bin> --help`), so a test can pin the text and check it lists exactly
// the flags the bin's flag definitions accept.
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Runs a package's built bin (its package.json's one `bin`) with `args`; never throws on a non-zero exit. */
export async function runBuiltBin(packageDir, args) {
  const { bin } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const [path, ...others] = Object.values(bin ?? {});
  if (!path || others.length)
    throw new Error(`${packageDir}/package.json: expected one bin, got ${JSON.stringify(bin)}`);
  // NO_COLOR: a help text is pinned byte for byte, whatever terminal the tests run under. nx sets
  // FORCE_COLOR, which would win (and make Node warn on stderr about the pair): drop it.
  const env = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  const run = await execa('node', [join(packageDir, path), ...args], {
    reject: false,
    stripFinalNewline: false,
    env,
    extendEnv: false,
    stdin: 'ignore',
  });
  return { exitCode: run.exitCode ?? -1, stdout: run.stdout, stderr: run.stderr };
}

/**
 * The flag spellings (`--out`, `-o`) a text names, sorted, each once. Text in backquotes is another
 * program's command line (`rpm -qp --dump`), not the bin's.
 */
export function usageFlags(text) {
  // A dash starts a flag only after a space, `[`, `(`, `|` or a line start: `rpm-dir:PATH`,
  // `xz-compressed` and `Ctrl-]` are words, not flags.
  const found = text.replace(/`[^`\n]*`/g, '').match(/(?<=^|[\s[(|,])--?[A-Za-z][\w-]*/gm) ?? [];
  return [...new Set(found)].sort();
}

/**
 * The synopsis of one invocation in a usage text: the line that starts with `invocation` (after
 * indentation) and the lines after it that are indented deeper and start no other invocation.
 */
export function synopsisOf(usage, invocation) {
  const lines = usage.split('\n');
  const start = lines.findIndex((line) => line.trimStart().startsWith(`${invocation} `) || line.trim() === invocation);
  if (start < 0) throw new Error(`no line of the usage starts with '${invocation}'`);
  const indent = (line) => line.length - line.trimStart().length;
  const bin = invocation.split(' ')[0];
  const taken = [lines[start]];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || indent(line) <= indent(lines[start]) || line.trimStart().startsWith(`${bin} `)) break;
    taken.push(line);
  }
  return taken.join('\n');
}

/** The code block under a README's "## Command line" (or "## Bin") heading, or undefined. */
export function readmeCommandLine(readme) {
  return /^## (?:Command line|Bin)\n\n```\n([\s\S]*?)```/m.exec(readme)?.[1];
}
