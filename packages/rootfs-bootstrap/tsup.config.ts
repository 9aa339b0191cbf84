import { packageConfig } from '../../tsup.config.base.ts';

// plan-worker: the worker thread's entry, found next to the code that starts it (plan/plan-in-worker.ts).
export default packageConfig({ index: 'src/index.ts', cli: 'src/cli.ts', 'plan-worker': 'src/plan/plan-worker.ts' });
