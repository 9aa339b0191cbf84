import { packageConfig } from '../../tsup.config.base.ts';

// plan-worker: the worker thread's entry, found next to the code that starts it (plan/plan-in-worker.ts).
// splitting: the bin imports each source's code when a run asks for it (cli-main.ts); split into
// chunks, a pacman run does not load the apt and rpm readers (nor their dependencies).
export default packageConfig(
  { index: 'src/index.ts', cli: 'src/cli.ts', 'plan-worker': 'src/plan/plan-worker.ts' },
  { splitting: true },
);
