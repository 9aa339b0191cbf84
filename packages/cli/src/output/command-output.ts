import { Reporter } from './reporter.js';

/** Shared flags of the commands that report progress. */
export const outputArgs = {
  verbose: { type: 'boolean', description: 'stream the external tools\u2019 output', default: false },
  json: { type: 'boolean', description: 'one JSON event per line on stderr, the result on stdout', default: false },
  quiet: { type: 'boolean', description: 'print nothing but errors and the result', default: false },
} as const;

export function reporterFor(args: { verbose?: boolean; json?: boolean; quiet?: boolean }): Reporter {
  return new Reporter({ verbose: args.verbose, json: args.json, quiet: args.quiet });
}
