import { binConfig, packageConfig } from '../../tsup.config.base.ts';

// The library keeps its dependencies external; the bin (dist/bin/) is bundled with them, each
// command's code a chunk loaded when the command runs, next to its copy of rootfs-bootstrap's
// index worker. zstd-napi is a native addon, loaded from where npm installed it.
export default [
  packageConfig({ index: 'src/index.ts' }, { clean: ['!bin/**'] }),
  binConfig({ cli: 'src/cli.ts', 'plan-worker': 'src/bin/plan-worker.ts' }, ['zstd-napi']),
];
