/**
 * A passwd/group/shadow/gshadow file edited in place: lines we do not touch stay byte-for-byte,
 * changed entries keep their position, new ones are appended.
 */
export class ColonFile {
  private readonly lines: string[];

  constructor(text: string | undefined) {
    this.lines = text === undefined || text === '' ? [] : text.replace(/\n$/, '').split('\n');
  }

  /** Fields of the entry called `name`, or undefined. */
  get(name: string): string[] | undefined {
    const index = this.indexOf(name);
    return index < 0 ? undefined : (this.lines[index] as string).split(':');
  }

  /** All entries' fields, skipping comments, blanks and NIS `+`/`-` lines. */
  entries(): string[][] {
    return this.lines.filter(isEntry).map((line) => line.split(':'));
  }

  set(fields: readonly string[]): void {
    const line = fields.join(':');
    const index = this.indexOf(fields[0] as string);
    if (index < 0) this.lines.push(line);
    else this.lines[index] = line;
  }

  toString(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }

  private indexOf(name: string): number {
    return this.lines.findIndex((line) => isEntry(line) && line.slice(0, line.indexOf(':')) === name);
  }
}

function isEntry(line: string): boolean {
  return line.includes(':') && !line.startsWith('#') && !line.startsWith('+') && !line.startsWith('-');
}
