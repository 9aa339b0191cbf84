import type { HeaderTags } from './parse-header.js';
import { rpmError } from './errors.js';
import { SenseFlag } from './tags.js';
import type { RpmDependency } from './types.js';

/** The comparison a dependency's sense flags express. */
export function comparisonOf(flags: number): RpmDependency['comparison'] {
  const less = (flags & SenseFlag.less) !== 0;
  const greater = (flags & SenseFlag.greater) !== 0;
  const equal = (flags & SenseFlag.equal) !== 0;
  if (less) return equal ? '<=' : '<';
  if (greater) return equal ? '>=' : '>';
  return equal ? '=' : '';
}

/** Zips the name/flags/version tag triple of one dependency kind. */
export function readDependencies(
  tags: HeaderTags,
  nameTag: number,
  flagsTag: number,
  versionTag: number,
): RpmDependency[] {
  const names = tags.strings(nameTag) ?? [];
  const flags = tags.numbers(flagsTag) ?? [];
  const versions = tags.strings(versionTag) ?? [];
  if ((flags.length && flags.length !== names.length) || (versions.length && versions.length !== names.length)) {
    throw rpmError(
      'ERR_RPM_BAD_HEADER',
      `header dependency tags ${nameTag}/${flagsTag}/${versionTag} have different lengths`,
      { value: nameTag },
    );
  }
  return names.map((name, i) => {
    const f = flags[i] ?? 0;
    return { name, comparison: comparisonOf(f), version: versions[i] ?? '', flags: f };
  });
}
