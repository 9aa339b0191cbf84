import { parseOptions } from '@distroforge/core';
import type { z } from 'zod';
import { OptionsInvalidError } from './errors.js';

/** zod parse whose failure is one ERR_OVERLAY_OPTIONS_INVALID naming every problem's key path (`users.0.groups.1`). */
export function validateOptions<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  return parseOptions(
    schema,
    input,
    (issues) => new OptionsInvalidError(issues[0]?.key ?? '', issues[0]?.message ?? 'invalid', issues),
  );
}
