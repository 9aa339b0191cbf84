// Shared vitest settings: every @distroforge/* import resolves to the package's TypeScript source
// (through the "source" export condition) so tests run without a build, while the published
// packages resolve to dist/.
import { defineConfig } from 'vitest/config';

export const sharedTestConfig = defineConfig({
  resolve: { conditions: ['@distroforge/source'] },
  ssr: { resolve: { conditions: ['@distroforge/source'] } },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
