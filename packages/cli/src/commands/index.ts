import type { SubCommandsDef } from 'citty';

// Lazy: each command (and the packages it needs) loads only when used.
export const commands: SubCommandsDef = {
  init: () => import('./init-command.js').then((m) => m.default),
  clean: () => import('./clean-command.js').then((m) => m.default),
};
