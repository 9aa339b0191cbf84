import { presets } from '@distroforge/squashfs-wrap';
import type { Profile } from '../profile/profile-schema.js';

/** Which squashfs preset a build fills in where the profile names no level: `dev` (the default) or `release` (`--release`). */
export type BuildMode = 'dev' | 'release';

/** Without `--release`. */
export const DEFAULT_BUILD_MODE: BuildMode = 'dev';

/**
 * The profile's `image` section with the build mode's squashfs level filled in: plain zstd without
 * a level takes squashfs-wrap's preset (`dev` zstd 1, fast; `release` zstd 15, small and the same
 * bytes as mksquashfs's own default). A profile's `image.level`, another algorithm (with
 * mksquashfs's own level) and EROFS stay as the profile says, so such profiles build the same
 * bytes, and hit the same cache entries, in both modes. The stages key on the result, not the mode.
 */
export function imageSettings(image: Profile['image'], mode: BuildMode): Profile['image'] {
  if (image.type !== 'squashfs' || image.compression !== 'zstd' || image.level !== undefined) return image;
  return { ...image, level: presets[mode].compression.level };
}
