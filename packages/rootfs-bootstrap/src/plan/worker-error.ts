import * as core from '@distroforge/core';
import * as bootstrapErrors from '../errors.js';

/** An error as it crosses a worker's message port: structured clone keeps neither its class nor its own fields. */
export interface SerializedError {
  className: string;
  name: string;
  message: string;
  stack: string | undefined;
  /** Own enumerable fields (code, path, hint, value, chain...) that survive a structured clone. */
  fields: Record<string, unknown>;
  cause?: SerializedError | { value: unknown };
}

type ErrorClass = abstract new (...args: never[]) => Error;

const isErrorClass = (v: unknown): v is ErrorClass =>
  typeof v === 'function' && (v === Error || v.prototype instanceof Error);

/** Every error class the packages a resolution uses export, by name: what an error from the worker becomes again. */
const exported: unknown[] = [...Object.values(core), ...Object.values(bootstrapErrors)];
const errorClasses = new Map<string, ErrorClass>(exported.filter(isErrorClass).map((c) => [c.name, c]));

function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) {
    return { className: 'Error', name: 'Error', message: String(error), stack: undefined, fields: {} };
  }
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) if (key !== 'cause' && cloneable(value)) fields[key] = value;
  const serialized: SerializedError = {
    className: error.constructor.name,
    name: error.name,
    message: error.message,
    stack: error.stack,
    fields,
  };
  if (error.cause !== undefined && depth < 4) {
    serialized.cause =
      error.cause instanceof Error
        ? serializeError(error.cause, depth + 1)
        : { value: cloneable(error.cause) ? error.cause : String(error.cause) };
  }
  return serialized;
}

/**
 * The error again, of its own class when that class is one of ours or core's (so `instanceof` and
 * `code` work for the caller), else a plain Error with the same name and fields (system errors keep
 * `code`, `errno`, `path`). The constructor is not run: its arguments are not known, its fields are.
 */
export function reviveError(serialized: SerializedError): Error {
  const errorClass = errorClasses.get(serialized.className) ?? Error;
  const error = Object.create(errorClass.prototype) as Error;
  Object.defineProperty(error, 'message', { value: serialized.message, writable: true, configurable: true });
  Object.defineProperty(error, 'stack', { value: serialized.stack, writable: true, configurable: true });
  Object.assign(error, serialized.fields);
  if (errorClass === Error && serialized.name !== 'Error')
    Object.defineProperty(error, 'name', { value: serialized.name, writable: true, configurable: true });
  if (serialized.cause !== undefined) {
    const cause = 'className' in serialized.cause ? reviveError(serialized.cause) : serialized.cause.value;
    Object.defineProperty(error, 'cause', { value: cause, writable: true, configurable: true });
  }
  return error;
}
