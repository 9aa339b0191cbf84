import { binErrorExit } from './bin-error-exit.js';
import { parseSubcommandLine, type ParsedCommandLine, type SubcommandLineSpec } from './command-line.js';

export interface BinIo {
  /** Results and `--help`. */
  write: (text: string) => void;
  /** Errors and the usage after a usage error. */
  writeError: (text: string) => void;
}

/**
 * The whole life of a `BIN COMMAND ARGS...` bin: parses strictly (a usage error prints its hint and
 * the usage, exit 2), answers `--help` (exit 0) and a missing command (the usage, exit 2), runs the
 * command, and ends a typed error as binErrorExit does (exit 1). Returns the exit code.
 */
export async function runSubcommandBin(
  argv: readonly string[],
  spec: SubcommandLineSpec,
  usage: string,
  io: BinIo,
  run: (command: string, parsed: ParsedCommandLine) => Promise<number>,
): Promise<number> {
  try {
    const { command, help, ...parsed } = parseSubcommandLine(argv, spec);
    if (help || command === undefined) {
      (help ? io.write : io.writeError)(usage);
      return help ? 0 : 2;
    }
    return await run(command, parsed);
  } catch (error) {
    return binErrorExit(error, io.writeError, usage);
  }
}
