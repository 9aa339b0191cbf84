import { DistroforgeError, optionIssuesMessage, type ErrorDetails, type OptionIssue } from '@distroforge/core';
import { InvalidOptionsError } from '@distroforge/boot-loader';

// One class per code across the packages: an ESP that @distroforge/boot-loader rejects and an
// option this package rejects are both `instanceof InvalidOptionsError`.
export { InvalidOptionsError, InputMissingError } from '@distroforge/boot-loader';

/** Stable error codes of this package's own (listed in the README; boot-loader's and core's pass through). */
export const isoErrorCodes = ['ERR_NOT_AN_ISO', 'ERR_TOOL_OUTPUT'] as const;

export type IsoErrorCode = (typeof isoErrorCodes)[number];

const hints: Record<IsoErrorCode, string> = {
  ERR_NOT_AN_ISO: 'pass an .iso file built by xorriso, genisoimage or mkisofs',
  ERR_TOOL_OUTPUT: 'report this with the tool version in use',
};

/** Base of this package's own errors: its code's hint unless it gives another. */
export class IsoError extends DistroforgeError {
  declare readonly code: IsoErrorCode;
  constructor(code: IsoErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, { ...details, hint: details.hint ?? hints[code] });
  }
}

/** A tool's report could not be understood (xorriso's El Torito or system-area report). */
export class ToolOutputError extends IsoError {
  constructor(tool: string, line: string, details: ErrorDetails = {}) {
    super('ERR_TOOL_OUTPUT', `cannot parse ${tool} output: ${JSON.stringify(line)}`, { value: line, ...details });
  }
}

/** The file given to inspectIso is not an ISO 9660 image. */
export class NotAnIsoError extends IsoError {
  constructor(path: string, details: ErrorDetails = {}) {
    super('ERR_NOT_AN_ISO', `not an ISO 9660 image: ${path}`, { path, ...details });
  }
}

/** The options error naming every problem found (`value`: the first one's key). */
export function invalidOptions(issues: readonly OptionIssue[], cause?: unknown): InvalidOptionsError {
  return new InvalidOptionsError(optionIssuesMessage(issues), { value: issues[0]?.key, issues, cause });
}
