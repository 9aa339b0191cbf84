/** Details every distroforge error may carry besides its message. */
export interface ErrorDetails {
  /** What to do next, phrased for the user. */
  hint?: string;
  /** The offending file, if any. */
  path?: string;
  /** The offending value, if any (a field value, a package name, an option). */
  value?: unknown;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * Base class of every error a distroforge package throws on purpose. `code` is stable across
 * releases (documented in each package README); messages may improve over time.
 */
export class DistroforgeError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly path: string | undefined;
  readonly value: unknown;

  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = details.hint;
    this.path = details.path;
    this.value = details.value;
  }

  /** Message, path and hint as a user would want to read them on a terminal. */
  describe(): string {
    const lines = [`${this.code}: ${this.message}`];
    if (this.path !== undefined) lines.push(`  at: ${this.path}`);
    if (this.hint !== undefined) lines.push(`  hint: ${this.hint}`);
    return lines.join('\n');
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, hint: this.hint, path: this.path, value: this.value };
  }
}

/** True for any error thrown on purpose by a distroforge package (across package copies). */
export function isDistroforgeError(error: unknown): error is DistroforgeError {
  return (
    error instanceof DistroforgeError ||
    (error instanceof Error && 'hint' in error && /^ERR_/.test(String((error as { code?: unknown }).code)))
  );
}
