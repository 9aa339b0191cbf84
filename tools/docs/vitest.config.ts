import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../../vitest.shared.ts';

// The user guide's tests (docs/): run by the root `npm test` after the packages are built, because
// the guide's runnable shell blocks use the built CLI (packages/cli/dist/bin/cli.js).
export default mergeConfig(
  sharedTestConfig,
  defineConfig({
    test: {
      root: import.meta.dirname,
      include: ['*.test.ts'],
      testTimeout: 900_000,
      hookTimeout: 900_000,
    },
  }),
);
