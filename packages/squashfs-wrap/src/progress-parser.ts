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

  /**
   * The tool finished successfully: 100% if its output did not say so. mksquashfs 4.5 redraws its
   * bar on a pipe only now and then and once at the end, and that last redraw can be lost when the
   * machine is busy (seen on a loaded CI run: no bar at all for a small image).
   */
  complete(): void {
    if (this.last < 100) {
      this.last = 100;
      this.onProgress({ percent: 100 });
    }
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
