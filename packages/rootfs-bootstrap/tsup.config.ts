import { binConfig, packageConfig } from '../../tsup.config.base.ts';

// plan-worker: the worker thread's entry, found next to the code that starts it (plan/plan-in-worker.ts);
// the bin has its own copy next to its own code.
// splitting: the bin imports each source's code when a run asks for it (cli-main.ts); split into
// chunks, a pacman run does not load the apt and rpm readers (nor their dependencies).
// zstd-napi is a native addon, loaded from where npm installed it.
export default [
  packageConfig(
    { index: 'src/index.ts', 'plan-worker': 'src/plan/plan-worker.ts' },
    { splitting: true, clean: ['!bin/**'] },
  ),
  binConfig({ cli: 'src/cli.ts', 'plan-worker': 'src/plan/plan-worker.ts' }, ['zstd-napi']),
];
