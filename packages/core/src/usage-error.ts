import { DistroforgeError, type ErrorDetails } from './distroforge-error.js';

/** A command line a bin cannot run: an unknown flag, a stray argument, a missing value. Exit code 2. */
export class UsageError extends DistroforgeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ERR_USAGE', message, details);
  }
}
