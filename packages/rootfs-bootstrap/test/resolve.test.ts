import { describe, expect, it } from 'vitest';
import { compareDebVersions } from '../src/apt/version.js';
import { UnsatisfiableError } from '../src/errors.js';
import { buildUniverse, type PackageCandidate } from '../src/package-candidate.js';
import { parseRelations } from '../src/relations.js';
import { installOrder, resolveDependencies } from '../src/resolve-dependencies.js';

function pkg(
  name: string,
  version: string,
  fields: {
    depends?: string;
    pre?: string;
    recommends?: string;
    provides?: string;
    priority?: string;
    essential?: boolean;
  } = {},
): PackageCandidate {
  return {
    name,
    version,
    architecture: 'amd64',
    preDepends: parseRelations(fields.pre),
    depends: parseRelations(fields.depends),
    recommends: parseRelations(fields.recommends),
    provides: parseRelations(fields.provides).flat(),
    essential: fields.essential ?? false,
    priority: fields.priority ?? 'optional',
    multiArch: 'no',
    size: 1,
    installedSize: 1024,
    sha256: '0'.repeat(64),
    location: `file:///${name}.deb`,
    origin: 'test',
  };
}

const universe = buildUniverse(
  [
    pkg('app', '1.0', { depends: 'libfoo (>= 2), mail-transport-agent, mawk | gawk, editor' }),
    pkg('libfoo', '1.5'),
    pkg('libfoo', '2.1', { pre: 'libc' }),
    pkg('libc', '1~rc1'),
    pkg('postfix', '3', { provides: 'mail-transport-agent', priority: 'optional' }),
    pkg('exim4', '4', { provides: 'mail-transport-agent', priority: 'standard' }),
    pkg('mawk', '1.3', { provides: 'awk' }),
    pkg('gawk', '5', { provides: 'awk', priority: 'optional' }),
    pkg('nano', '7', { provides: 'editor' }),
    pkg('vim', '9', { provides: 'editor', depends: 'gawk' }),
    pkg('broken', '1', { depends: 'libfoo (>= 3)' }),
    pkg('needs-versioned-virtual', '1', { depends: 'awk (>= 2)' }),
    pkg('awk-two', '1', { provides: 'awk (= 2.0)' }),
  ],
  compareDebVersions,
);

const names = (r: ReturnType<typeof resolveDependencies>) => r.map((p) => `${p.candidate.name}=${p.candidate.version}`);

describe('resolveDependencies', () => {
  it('picks the newest versions, providers by priority, and or-groups satisfied by the selection', () => {
    const result = resolveDependencies(universe, { names: ['app', 'gawk'] });
    // mawk | gawk: gawk is requested, so mawk is not pulled in; exim4 outranks postfix.
    expect(names(result)).toEqual(['app=1.0', 'exim4=4', 'gawk=5', 'libc=1~rc1', 'libfoo=2.1', 'nano=7']);
    expect(result.find((p) => p.candidate.name === 'libc')?.chain).toEqual(['app', 'libfoo', 'libc']);
  });

  it('is deterministic: the same request in any order gives the same set', () => {
    expect(names(resolveDependencies(universe, { names: ['gawk', 'app'] }))).toEqual(
      names(resolveDependencies(universe, { names: ['app', 'gawk'] })),
    );
  });

  it('takes the first installable alternative when none is selected', () => {
    const result = resolveDependencies(universe, { names: ['app'] });
    expect(names(result)).toContain('mawk=1.3');
  });

  it('honours exclusions through alternatives and providers', () => {
    const result = resolveDependencies(universe, { names: ['app'], exclude: ['exim4', 'nano'] });
    expect(names(result)).toEqual(expect.arrayContaining(['postfix=3', 'vim=9', 'gawk=5']));
  });

  it('satisfies versioned virtual dependencies only through versioned Provides', () => {
    expect(names(resolveDependencies(universe, { names: ['needs-versioned-virtual'] }))).toEqual([
      'awk-two=1',
      'needs-versioned-virtual=1',
    ]);
  });

  it('names the unsatisfiable chain', () => {
    const attempt = () => resolveDependencies(universe, { names: ['broken'] });
    expect(attempt).toThrow(UnsatisfiableError);
    expect(attempt).toThrow('cannot satisfy broken -> libfoo (>= 3): only version 2.1 is available');
    expect(() => resolveDependencies(universe, { names: ['nope'] })).toThrow(
      expect.objectContaining({ code: 'ERR_BOOTSTRAP_UNSATISFIABLE', chain: ['nope'] }),
    );
  });

  it('orders installation after pre-dependencies and dependencies', () => {
    const result = resolveDependencies(universe, { names: ['app'] }).map((r) => r.candidate);
    const order = installOrder(result, universe).map((p) => p.name);
    expect(order.indexOf('libc')).toBeLessThan(order.indexOf('libfoo'));
    expect(order.indexOf('libfoo')).toBeLessThan(order.indexOf('app'));
    expect(order).toHaveLength(result.length);
  });
});

describe('recommends', () => {
  const world = buildUniverse(
    [
      // tool recommends: one that exists, one that does not, an alternative whose first choice is
      // missing, and one whose own dependency cannot be met (it and its other dependency are dropped).
      pkg('tool', '1', { depends: 'libc', recommends: 'helper, no-such-thing, missing-alt | alt-b, broken' }),
      pkg('helper', '1', { depends: 'libhelper', recommends: 'helper-docs' }),
      pkg('libhelper', '1'),
      pkg('helper-docs', '1'),
      pkg('alt-b', '1'),
      pkg('broken', '1', { depends: 'libbroken-dep, nowhere (>= 9)' }),
      pkg('libbroken-dep', '1'),
      pkg('libc', '1'),
    ],
    compareDebVersions,
  );
  const names = (recommends: boolean) =>
    resolveDependencies(world, { names: ['tool'], recommends }).map((r) => r.candidate.name);

  it('are not installed unless asked for', () => {
    expect(names(false)).toEqual(['libc', 'tool']);
  });

  it('are installed with their dependencies (and their own recommends); unavailable ones are skipped; one whose dependencies cannot be met is dropped whole', () => {
    expect(names(true)).toEqual(['alt-b', 'helper', 'helper-docs', 'libc', 'libhelper', 'tool']);
    const chains = Object.fromEntries(
      resolveDependencies(world, { names: ['tool'], recommends: true }).map((r) => [
        r.candidate.name,
        r.chain.join(' -> '),
      ]),
    );
    expect(chains['helper-docs']).toBe('tool -> helper -> helper-docs');
  });

  it('never turn a missing dependency of a requested package into a skip', () => {
    expect(() => resolveDependencies(world, { names: ['broken'], recommends: true })).toThrow(UnsatisfiableError);
  });
});
