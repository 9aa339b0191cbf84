import { DistroforgeError } from '@distroforge/core';

/** A profile file breaks the schema or cannot be read. `path` is `file:line:column`. */
export class ProfileError extends DistroforgeError {
  readonly file: string;
  readonly line: number | undefined;
  readonly key: string | undefined;
  constructor(file: string, line: number | undefined, column: number | undefined, key: string | undefined, message: string, hint?: string) {
    const where = line === undefined ? file : `${file}:${line}:${column ?? 1}`;
    super('ERR_PROFILE_INVALID', `${where}: ${key ? `${key}: ` : ''}${message}`, { path: where, value: key, hint });
    this.file = file;
    this.line = line;
    this.key = key;
  }
}
