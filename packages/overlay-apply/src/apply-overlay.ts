import { sourceDateEpoch } from '@distroforge/core';
import { copyOverlay } from './copy-overlay.js';
import { finish, type ApplyResult } from './finish.js';
import { applyPermissionMap } from './permission-map.js';
import { applyOverlayOptionsSchema, type ApplyOverlayOptions } from './profile-schema.js';
import { assertRootDirectory } from './root-directory.js';
import { RootWriter } from './root-writer.js';
import { scanOverlay } from './scan-overlay.js';
import { validateOptions } from './validate-options.js';

/** Copies an airootfs/ tree onto `root` and records ownership (root:root, or the permissions map). */
export async function applyOverlay(input: ApplyOverlayOptions): Promise<ApplyResult> {
  const options = validateOptions(applyOverlayOptionsSchema, input);
  await assertRootDirectory(options.root);
  const entries = await scanOverlay(options.overlay, options.root);
  const writer = new RootWriter(options.root, options.sourceDateEpoch ?? sourceDateEpoch());
  await copyOverlay(writer, entries);
  await applyPermissionMap(writer, options.permissions);
  return finish(writer, options.manifest, []);
}
