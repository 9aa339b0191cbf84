import { binConfig, packageConfig } from '../../tsup.config.base.ts';

// The library keeps its dependencies external; the bin (dist/bin/) is bundled with them, so it
// starts without resolving and compiling each module (tsup.config.base.ts, binConfig).
export default [packageConfig({ index: 'src/index.ts' }, { clean: ['!bin/**'] }), binConfig({ cli: 'src/cli.ts' })];
