import { DistroforgeError, type ErrorDetails } from './distroforge-error.js';

/** An external tool is not installed (or not on PATH). */
export class ToolMissingError extends DistroforgeError {
  readonly tool: string;
  constructor(tool: string, install: string | undefined, details: ErrorDetails = {}) {
    super('ERR_TOOL_MISSING', `${tool} not found${install ? `: ${install}` : ''}`, {
      hint: install ? `install it with: ${install}` : `install ${tool} and make sure it is on PATH`,
      value: tool,
      ...details,
    });
    this.tool = tool;
  }
}

/** An external tool is present but older than a feature needs. */
export class ToolVersionError extends DistroforgeError {
  constructor(tool: string, found: string, wanted: string, install: string | undefined) {
    super('ERR_TOOL_VERSION', `${tool} ${found} is too old: ${wanted} or newer is needed`, {
      hint: install ? `upgrade it: ${install}` : `upgrade ${tool}`,
      value: found,
    });
  }
}

/** An external tool ran and failed. Carries its command line, exit code and the tail of its log. */
export class ToolFailedError extends DistroforgeError {
  readonly command: readonly string[];
  readonly exitCode: number | undefined;
  readonly logTail: string;
  constructor(command: readonly string[], exitCode: number | undefined, logTail: string, details: ErrorDetails = {}) {
    const shown = command.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
    super('ERR_TOOL_FAILED', `${command[0]} failed${exitCode === undefined ? '' : ` with exit code ${exitCode}`}: ${shown}${logTail ? `\n${logTail}` : ''}`, {
      hint: details.path ? `full log: ${details.path}` : details.hint,
      ...details,
    });
    this.command = [...command];
    this.exitCode = exitCode;
    this.logTail = logTail;
  }
}
