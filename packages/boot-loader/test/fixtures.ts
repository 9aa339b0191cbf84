// The boot pieces are tested with iso-assemble's fixtures (Debian's signed kernel from
// tools/fetch-kernel, a tiny busybox initramfs written by GNU cpio): one copy for both packages.
export * from '../../iso-assemble/test/fixtures.js';
