import { packageConfig } from '../../tsup.config.base.ts';

export default [
  packageConfig({ index: 'src/index.ts' }),
  // The command bundles the parts of @distroforge/core it uses from source: core's index also loads
  // zod (for its manifest schemas), about 70 ms of a start-up the bin never needs.
  packageConfig(
    { cli: 'src/cli.ts' },
    {
      clean: false,
      noExternal: ['@distroforge/core'],
      esbuildOptions: (o) => void (o.conditions = ['@distroforge/source']),
    },
  ),
];
