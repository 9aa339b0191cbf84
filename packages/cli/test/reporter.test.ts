import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressLine, Reporter } from '@distroforge/cli';

function sink(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 80 });
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('progressLine', () => {
  it('draws a bar from items, bytes or percent, with counts and elapsed time', () => {
    expect(
      progressLine('rootfs', 12_300, {
        type: 'progress',
        stage: 'rootfs',
        done: 45,
        total: 90,
        message: 'unpack libc6',
      }),
    ).toBe('… rootfs      [############------------]  50% 45/90 12.3 s unpack libc6');
    expect(
      progressLine('rootfs', 500, {
        type: 'progress',
        stage: 'rootfs',
        done: 1,
        total: 4,
        bytes: 3 * 1048576,
        totalBytes: 4 * 1048576,
      }),
    ).toContain('[##################------]  75% 1/4 3.0 MiB/4.0 MiB 500 ms');
    expect(progressLine('image', 2000, { type: 'progress', stage: 'image', percent: 100 })).toBe(
      '… image       [########################] 100% 2.0 s',
    );
    expect(progressLine('disk', 1500, undefined)).toBe('… disk        1.5 s');
  });

  it('never exceeds the terminal width', () => {
    const line = progressLine(
      'rootfs',
      1000,
      { type: 'progress', stage: 'rootfs', done: 1, total: 2, message: 'x'.repeat(200) },
      60,
    );
    expect(line).toHaveLength(60);
    expect(line.endsWith('…')).toBe(true);
  });
});

describe('Reporter', () => {
  it('on a TTY redraws one live line per stage and leaves one summary line per stage', async () => {
    const out = sink(true);
    const reporter = new Reporter({ out: out.stream });
    expect(reporter.mode).toBe('tty');
    reporter.emit({ type: 'stage-start', stage: 'rootfs' });
    reporter.emit({ type: 'progress', stage: 'rootfs', done: 1, total: 2, message: 'unpack a' });
    reporter.emit({ type: 'stage-end', stage: 'rootfs', cached: false, ms: 1234, detail: '2 packages' });
    await reporter.close();
    const text = out.text();
    expect(text).toContain('\r\x1b[2K… rootfs');
    expect(text.endsWith('✓ rootfs      1.2 s  2 packages\n')).toBe(true);
  });

  it('with --verbose on a TTY, a tool log line clears the live line first instead of running into it', async () => {
    const out = sink(true);
    const reporter = new Reporter({ out: out.stream, verbose: true });
    reporter.emit({ type: 'stage-start', stage: 'image' });
    reporter.emit({ type: 'log', stage: 'image', line: 'Parallel mksquashfs: Using 2 processors' });
    reporter.emit({ type: 'stage-end', stage: 'image', cached: false, ms: 1000 });
    await reporter.close();
    expect(out.text()).toMatch(/… image[^\n]*\r\x1b\[2K\[image\] Parallel mksquashfs: Using 2 processors\n/);
  });

  it('without a TTY prints only the stage lines; --quiet nothing; --json one event per line', async () => {
    const lines = sink(false);
    const plain = new Reporter({ out: lines.stream });
    plain.emit({ type: 'stage-start', stage: 'image' });
    plain.emit({ type: 'progress', stage: 'image', percent: 50 });
    plain.emit({ type: 'stage-end', stage: 'image', cached: true, ms: 3 });
    await plain.close();
    expect(lines.text()).toBe('= image       cached\n');

    const quiet = sink(true);
    const q = new Reporter({ out: quiet.stream, quiet: true });
    q.emit({ type: 'stage-end', stage: 'image', cached: true, ms: 3 });
    await q.close();
    expect(quiet.text()).toBe('');

    const json = sink(true);
    const j = new Reporter({ out: json.stream, json: true });
    j.emit({ type: 'progress', stage: 'image', percent: 50 });
    j.say('hello');
    await j.close();
    const events = json
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toMatchObject([
      { type: 'progress', stage: 'image', percent: 50 },
      { type: 'message', text: 'hello' },
    ]);
  });
});
