export { compareDebVersions, parseDebVersion, type DebVersion } from './deb-version.js';
export { parseControlFile, controlField, formatControlParagraph, type ControlParagraph } from './control-file.js';
export { parseRelations, formatRelation, type Relation, type RelationField, type RelationOperator } from './relations.js';
export { parseDeb822Sources, parseOneLineSources, readHostAptSources, repositoriesForSuite, type AptRepository } from './apt-sources.js';
export { buildUniverse, type PackageCandidate, type PackageUniverse, type VersionComparator } from './package-candidate.js';
export { resolveDependencies, installOrder, type ResolveRequest, type ResolvedPackage } from './resolve-dependencies.js';
export { VARIANTS, variantBaseNames, type Variant } from './variant.js';
export * from './errors.js';
