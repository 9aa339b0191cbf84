/**
 * The outputs a profile can ask for (`outputs:`), and the kinds of file a build publishes, in the
 * order the build report lists them. One list each: the profile schema, the stage table and the
 * report take them from here.
 */
export const PROFILE_OUTPUTS = ['iso', 'disk', 'initramfs', 'squashfs', 'rootfs-tar'] as const;
export type ProfileOutput = (typeof PROFILE_OUTPUTS)[number];

export const PUBLISHED_KINDS = [
  'kernel',
  'initramfs',
  'squashfs',
  'erofs',
  'iso',
  'disk',
  'rootfs-tar',
  // The image's SBOMs (SPDX 2.3 and CycloneDX 1.5 JSON), beside the images on every package build.
  'spdx',
  'cyclonedx',
] as const;
export type PublishedKind = (typeof PUBLISHED_KINDS)[number];
