import { DistroforgeError, type ErrorDetails } from '@distroforge/core';

// One class per code across the packages: an ESP that @distroforge/boot-loader rejects and an
// option this package rejects are both `instanceof InvalidOptionsError`.
export { InvalidOptionsError, InputMissingError } from '@distroforge/boot-loader';

/** A tool's report could not be understood (xorriso's El Torito or system-area report). */
export class ToolOutputError extends DistroforgeError {
  constructor(tool: string, line: string, details: ErrorDetails = {}) {
    super('ERR_TOOL_OUTPUT', `cannot parse ${tool} output: ${JSON.stringify(line)}`, {
      hint: 'report this with the tool version in use',
      value: line,
      ...details,
    });
  }
}

/** The file given to inspectIso is not an ISO 9660 image. */
export class NotAnIsoError extends DistroforgeError {
  constructor(path: string, details: ErrorDetails = {}) {
    super('ERR_NOT_AN_ISO', `not an ISO 9660 image: ${path}`, { hint: 'pass an .iso file built by xorriso, genisoimage or mkisofs', path, ...details });
  }
}
