import type { ProgressEvent } from './options.js';

/**
 * Splits mksquashfs output (progress bar redrawn with `\r`, other lines with `\n`) into records and
 * turns each bar (`[====|   ] 123/456  27%`) or `-percentage` line (`27`) into a progress event,
 * reporting each percentage once, in increasing order.
 */
export class ProgressParser {
  private pending = '';
  private last = -1;

  constructor(private readonly onProgress: (event: ProgressEvent) => void) {}

  push(chunk: string): void {
    const records = (this.pending + chunk).split(/[\r\n]/);
    this.pending = records.pop() ?? '';
    for (const record of records) this.parse(record);
  }

  end(): void {
    this.parse(this.pending);
    this.pending = '';
  }

  private parse(record: string): void {
    const match = /\]\s+\d+\/\d+\s+(\d{1,3})%\s*$/.exec(record) ?? /^\s*(\d{1,3})\s*$/.exec(record);
    if (!match) return;
    const percent = Number(match[1]);
    if (percent > 100 || percent <= this.last) return;
    this.last = percent;
    this.onProgress({ percent });
  }
}
