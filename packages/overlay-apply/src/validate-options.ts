import type { z } from 'zod';
import { OptionsInvalidError } from './errors.js';

/** zod parse whose failure is an ERR_OVERLAY_OPTIONS_INVALID naming the key path (`users.0.groups.1`). */
export function validateOptions<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new OptionsInvalidError((issue?.path ?? []).map(String).join('.'), issue?.message ?? 'invalid');
}
