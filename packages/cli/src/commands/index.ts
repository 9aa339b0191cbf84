import type { SubCommandsDef } from 'citty';

// Lazy: each command (and the packages it needs) loads only when used.
export const commands: SubCommandsDef = {
  build: () => import('./build-command.js').then((m) => m.default),
  test: () => import('./test-command.js').then((m) => m.default),
  run: () => import('./run-command.js').then((m) => m.default),
  inspect: () => import('./inspect-command.js').then((m) => m.default),
  report: () => import('./report-command.js').then((m) => m.default),
  lock: () => import('./lock-command.js').then((m) => m.default),
  init: () => import('./init-command.js').then((m) => m.default),
  clean: () => import('./clean-command.js').then((m) => m.default),
};
