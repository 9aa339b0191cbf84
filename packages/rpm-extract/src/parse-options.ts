import type { z } from 'zod';
import { rpmError } from './errors.js';

/** Validates a public function's options (defaults filled in); a bad one is ERR_RPM_OPTIONS_INVALID naming the key. */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw rpmError('ERR_RPM_OPTIONS_INVALID', `invalid ${what} option ${issue?.path.join('.')}: ${issue?.message}`, {
      value: issue?.path.join('.'),
    });
  }
  return parsed.data;
}
