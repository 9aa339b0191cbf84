import type { z } from 'zod';
import type { ErrorDetails } from './errors.js';

/** One problem with a set of options: where (`compression.level`; '' for the options themselves) and what. */
export interface OptionIssue {
  key: string;
  message: string;
}

/** Details of an options error: every problem found, not just the first. */
export interface OptionsErrorDetails extends ErrorDetails {
  issues?: readonly OptionIssue[];
}

/**
 * Validates `input` against `schema` and returns the parsed value. On failure it throws the error
 * `fail` builds from every issue zod found (a user fixes them all in one go, not one per run);
 * `fail` is the package's own options error, so its code stays the package's.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  fail: (issues: readonly OptionIssue[], cause: z.ZodError) => Error,
): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw fail(
    parsed.error.issues.map((issue) => ({ key: issue.path.map(String).join('.'), message: issue.message })),
    parsed.error,
  );
}

/**
 * The message of an options error: `invalid option KEY: WHAT` for one issue, one line per issue
 * for several. `subject` names whose options they are, when the caller cannot tell (`createErofs`).
 */
export function optionIssuesMessage(issues: readonly OptionIssue[], subject?: string): string {
  const line = (issue: OptionIssue) => `${issue.key || '(options)'}: ${issue.message}`;
  const whose = subject === undefined ? '' : `${subject} `;
  if (issues.length === 1) return `invalid ${whose}option ${line(issues[0] as OptionIssue)}`;
  return `${issues.length} invalid ${whose}options:\n${issues.map((issue) => `  ${line(issue)}`).join('\n')}`;
}
