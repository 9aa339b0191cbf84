// The user guide (docs/) kept true: its runnable shell blocks run with the built CLI, its links and
// anchors resolve, the troubleshooting page is what its generator writes from the packages' error
// tables and names every error code of the code base, and the examples tables name tests that exist.
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { anchors, fencedBlocks, links } from './markdown.mjs';
import { PACKAGE_ORDER, renderTroubleshooting, troubleshootingPage } from './troubleshooting.mjs';

const repo = resolve(import.meta.dirname, '..', '..');
const docs = join(repo, 'docs');
const pages = readdirSync(docs)
  .filter((f) => f.endsWith('.md'))
  .sort();
/** Every Markdown file whose links are checked: the guide, and the READMEs that point into it. */
const checked = [...pages.map((p) => join(docs, p)), join(repo, 'README.md'), join(repo, 'examples', 'README.md')];
const read = (file: string) => readFileSync(file, 'utf8');
const cli = join(repo, 'packages', 'cli', 'dist', 'bin', 'cli.js');

describe('links', () => {
  it.each(checked.map((f) => [relative(repo, f)]))('every relative link and anchor of %s resolves', (rel) => {
    const file = join(repo, rel);
    const problems: string[] = [];
    for (const { target, line } of links(read(file))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const [path = '', anchor] = target.split('#');
      const dest = path === '' ? file : resolve(dirname(file), decodeURI(path));
      if (!existsSync(dest)) {
        problems.push(`${rel}:${line}: ${target}: no such file`);
        continue;
      }
      if (anchor !== undefined && dest.endsWith('.md') && !anchors(read(dest)).has(anchor))
        problems.push(`${rel}:${line}: ${target}: no heading with that anchor`);
      if (anchor !== undefined && statSync(dest).isDirectory())
        problems.push(`${rel}:${line}: ${target}: anchor on a directory`);
    }
    expect(problems).toEqual([]);
  });

  it('every page of the guide is linked from docs/README.md', () => {
    const index = new Set(links(read(join(docs, 'README.md'))).map((l) => l.target.split('#')[0]));
    expect(pages.filter((p) => p !== 'README.md' && !index.has(p))).toEqual([]);
  });
});

describe('troubleshooting', () => {
  it('docs/troubleshooting.md is what tools/docs/troubleshooting.mjs writes from the README error tables', async () => {
    const expected = await renderTroubleshooting();
    // On a mismatch: node tools/docs/troubleshooting.mjs (after changing a README error table).
    expect(read(troubleshootingPage), 'stale: run node tools/docs/troubleshooting.mjs').toBe(expected);
  });

  it("names every code of every package's error code lists", async () => {
    const page = read(troubleshootingPage);
    const headings = new Set([...page.matchAll(/^### `(ERR_[A-Z0-9_]+)`$/gm)].map((m) => m[1]));
    const missing: string[] = [];
    let lists = 0;
    for (const pkg of PACKAGE_ORDER) {
      const mod = (await import(`@distroforge/${pkg}`)) as Record<string, unknown>;
      for (const [name, value] of Object.entries(mod)) {
        if (!name.endsWith('ErrorCodes') || !Array.isArray(value)) continue;
        lists++;
        for (const code of value as string[])
          if (!headings.has(code)) missing.push(`${code} (@distroforge/${pkg} ${name})`);
      }
    }
    expect(lists).toBeGreaterThanOrEqual(PACKAGE_ORDER.length);
    expect(missing).toEqual([]);
  });

  it("names every ERR_ code written in the packages' sources", () => {
    const page = read(troubleshootingPage);
    // Not distroforge's codes: Node's parseArgs errors, and the ERR_QEMU prefix the CLI tests for.
    const foreign = (code: string) => code.startsWith('ERR_PARSE_ARGS') || code === 'ERR_QEMU';
    const codes = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.(ts|mts|mjs|js)$/.test(entry.name) && !/\.test\./.test(entry.name)) {
          for (const m of read(path).matchAll(/['"`](ERR_[A-Z0-9_]+)['"`]/g)) codes.add(m[1] as string);
        }
      }
    };
    for (const pkg of PACKAGE_ORDER) walk(join(repo, 'packages', pkg, 'src'));
    expect([...codes].filter((c) => !foreign(c) && !page.includes(`\`${c}\``)).sort()).toEqual([]);
  });
});

describe('examples tables', () => {
  const examples = readdirSync(join(repo, 'examples'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const rowsOf = (text: string) =>
    [...text.matchAll(/^\| \[`([a-z0-9-]+)`\]\(([^)]+)\) \|(.*)\|$/gm)].map((m) => ({
      name: m[1] as string,
      cells: (m[3] as string).split('|').map((c) => c.trim()),
    }));

  it('examples/README.md and the root README list every example folder, and only those', () => {
    expect(
      rowsOf(read(join(repo, 'examples', 'README.md')))
        .map((r) => r.name)
        .sort(),
    ).toEqual(examples);
    expect(
      rowsOf(read(join(repo, 'README.md')))
        .map((r) => r.name)
        .sort(),
    ).toEqual(examples);
  });

  it('each status claims only firmware and media its profile has', async () => {
    const { parse } = await import('yaml');
    const problems: string[] = [];
    for (const { name, cells } of rowsOf(read(join(repo, 'examples', 'README.md')))) {
      const status = cells.at(-1) ?? '';
      const profile = parse(read(join(repo, 'examples', name, 'profile.yaml'))) as {
        outputs?: string[];
        firmware?: string[];
      };
      const outputs = profile.outputs ?? ['iso'];
      const firmware = profile.firmware ?? ['bios', 'uefi'];
      const claims: [RegExp, boolean, string][] = [
        [/Secure Boot/, firmware.includes('uefi-secureboot'), 'firmware uefi-secureboot'],
        [/UEFI/, firmware.includes('uefi') || firmware.includes('uefi-secureboot'), 'firmware uefi'],
        [/BIOS/, firmware.includes('bios'), 'firmware bios'],
        [/\bCD\b|\bISO\b/, outputs.includes('iso'), 'outputs iso'],
        [/\bdisk\b|persistence/, outputs.includes('disk'), 'outputs disk'],
      ];
      for (const [word, holds, needs] of claims)
        if (word.test(status) && !holds)
          problems.push(`${name}: the status says ${word} but the profile lacks ${needs}`);
    }
    expect(problems).toEqual([]);
  });

  it('each status names test files that exist, use that example and build it with the CLI', () => {
    const problems: string[] = [];
    for (const { name, cells } of rowsOf(read(join(repo, 'examples', 'README.md')))) {
      const status = cells.at(-1) ?? '';
      const files = [...status.matchAll(/`((?:e2e|packages\/[\w-]+\/test)\/[\w.-]+\.test\.ts)`/g)].map(
        (m) => m[1] as string,
      );
      if (files.length === 0) problems.push(`${name}: the status names no test file`);
      for (const file of files) {
        const path = join(repo, file);
        if (!existsSync(path)) {
          problems.push(`${name}: ${file} does not exist`);
          continue;
        }
        const text = read(path);
        if (!new RegExp(`examples['"/, ]+${name}\\b|'${name}'`).test(text))
          problems.push(`${name}: ${file} does not use examples/${name}`);
        if (!/\b(it|test)(\.each\([^)]*\))?\(/.test(text)) problems.push(`${name}: ${file} has no test`);
        if (/\b(describe|it|test)\.skip\(/.test(text)) problems.push(`${name}: ${file} skips tests`);
        if (status.includes('boot') && !/\btest\b|boot/.test(text)) problems.push(`${name}: ${file} boots nothing`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('using-the-packages.md', () => {
  const page = read(join(docs, 'using-the-packages.md'));
  const example = join(docs, 'examples', 'busybox-iso.mjs');

  it('shows examples/busybox-iso.mjs as it is (without its header comment)', () => {
    const source = read(example)
      .replace(/^(\/\/.*\n)+/, '')
      .trim();
    const shown = fencedBlocks(page)
      .find((b) => b.lang === 'js')
      ?.body.trim();
    expect(shown).toBe(source);
  });

  it('prints the output the page shows, with the Debian kernel tools/setup unpacked', async () => {
    const boot = join(repo, '.cache', 'kernel', 'current', 'boot');
    const vmlinuz = existsSync(boot) ? readdirSync(boot).find((f) => f.startsWith('vmlinuz-')) : undefined;
    expect(vmlinuz, `no kernel in ${boot}: run tools/setup`).toBeDefined();
    const run = await execa('node', [example, join(boot, vmlinuz as string)], {
      cwd: join(docs, 'examples'),
      reject: false,
      all: true,
      timeout: 600_000,
    });
    expect(run.exitCode, String(run.all)).toBe(0);
    const shown = page.split('<!-- example-output -->')[1];
    const output = shown === undefined ? undefined : fencedBlocks(shown)[0]?.body.trim();
    expect(run.stdout.trim()).toBe(output);
  });
});

/**
 * The guide's blocks fenced as ```sh runnable, each page's in order in one temp directory, as a
 * newcomer would type them: `npx distroforge` finds the built CLI in the directory's
 * node_modules/.bin (npx is kept offline, so nothing is fetched from the registry).
 */
describe('runnable blocks', () => {
  const work: string[] = [];
  afterAll(async () => {
    for (const dir of work) await rm(dir, { recursive: true, force: true });
  });
  const runnable = pages
    .map((page) => ({
      page,
      blocks: fencedBlocks(read(join(docs, page))).filter((b) => /^(sh|bash)\s+runnable\b/.test(b.info)),
    }))
    .filter((p) => p.blocks.length > 0);

  it('there are some', () => expect(runnable.length).toBeGreaterThan(0));

  it.each(runnable.map((p) => [p.page, p.blocks] as const))('%s', async (page, blocks) => {
    expect(existsSync(cli), `${cli} is not built: npx nx run @distroforge/cli:build`).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'df-docs-'));
    work.push(dir);
    await mkdir(join(dir, 'node_modules', '.bin'), { recursive: true });
    await symlink(cli, join(dir, 'node_modules', '.bin', 'distroforge'));
    await writeFile(join(dir, 'package.json'), '{ "private": true }\n');
    for (const block of blocks) {
      const run = await execa('bash', ['-euo', 'pipefail', '-c', block.body], {
        cwd: dir,
        reject: false,
        all: true,
        env: { npm_config_offline: 'true', npm_config_yes: 'false', CI: '1' },
        timeout: 880_000,
      });
      expect(
        run.exitCode,
        `docs/${page}:${block.line} exited ${run.exitCode}:\n${String(run.all).split('\n').slice(-40).join('\n')}`,
      ).toBe(0);
    }
  });
});
