export { subordinateRanges, type IdRange } from './subordinate-ids.js';
export { insideId, outsideId, idMapText, type IdMapping, type UserNamespaceIds } from './id-map.js';
export {
  prepareUserNamespace,
  NAMESPACE_ID_COUNT,
  ROOT_DEFAULT_SUBORDINATE_START,
  type UserNamespace,
  type PrepareUserNamespaceOptions,
} from './prepare-user-namespace.js';
export {
  runInUserNamespace,
  type UserNamespaceRunOptions,
  type UserNamespaceRunResult,
} from './run-in-user-namespace.js';
export { openUserNamespace, type OpenUserNamespace } from './open-user-namespace.js';
export { openImageRoot, withImageRoot, type ImageRootSession, type ImageRootOptions } from './image-root.js';
export {
  assignOwners,
  releaseOwners,
  ownerAsSeenInside,
  keepAclsAsSeenInside,
  reclaimTree,
  releaseTree,
  type TreeOwner,
} from './tree-owners.js';
