// Run from a fresh project where the packed tarball is installed (see e2e/packed-packages.test.ts).
import {
  DistroforgeError,
  emptyManifest,
  findTool,
  knownTools,
  mergeManifest,
  ToolMissingError,
} from '@distroforge/core';

const xz = await findTool(knownTools.xz);
if (!xz.path.endsWith('/xz')) throw new Error(`unexpected xz path ${xz.path}`);
const missing = await findTool({ names: ['definitely-not-a-tool-xyz'], install: 'apt-get install nothing' }).catch(
  (e) => e,
);
if (!(missing instanceof ToolMissingError) || !(missing instanceof DistroforgeError))
  throw new Error('expected ToolMissingError');
const m = mergeManifest(emptyManifest(), [{ path: 'etc/shadow', mode: 0o640, gid: 42 }]);
if (m.entries[0]?.path !== '/etc/shadow') throw new Error('manifest path not canonical');
console.log(`core ok: xz ${xz.version}`);
