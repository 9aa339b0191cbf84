import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../vitest.shared.ts';

// End-to-end tests run the built packages and real tools (QEMU, cpio...), one file at a time so
// boots do not compete for the machine's two cores.
export default mergeConfig(
  sharedTestConfig,
  defineConfig({
    test: {
      root: import.meta.dirname,
      include: ['**/*.test.ts'],
      testTimeout: 600_000,
      hookTimeout: 900_000,
      fileParallelism: false,
    },
  }),
);
