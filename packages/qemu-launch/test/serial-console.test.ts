import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { SerialConsole } from '@distroforge/qemu-launch';

describe('SerialConsole', () => {
  it('matches across chunk and UTF-8 boundaries, moving a cursor past each match', () => {
    const serial = new SerialConsole();
    const euro = Buffer.from('€');
    serial.push(Buffer.concat([Buffer.from('boot: 1'), euro.subarray(0, 1)]));
    expect(serial.take('1€')).toBeUndefined();
    serial.push(Buffer.concat([euro.subarray(1), Buffer.from('\r\nREADY\r\n# ')]));
    expect(serial.take('1€')?.match).toBe('1€');
    expect(serial.take(/R(EA)DY/g)?.groups).toEqual(['EA']);
    expect(serial.take('READY')).toBeUndefined();
    expect(serial.lastLines(2)).toEqual(['READY', '# ']);
  });

  it('replays lines and bytes from the start, then ends with the console', async () => {
    const serial = new SerialConsole();
    serial.push(Buffer.from('one\r\ntwo\n'));
    const stream = serial.stream();
    const lines: string[] = [];
    const reading = (async () => {
      for await (const line of serial.lines()) lines.push(line);
    })();
    serial.push(Buffer.from('three\nunterminated'));
    serial.end();
    await reading;
    expect(lines).toEqual(['one', 'two', 'three', 'unterminated']);
    expect(await text(stream)).toBe('one\r\ntwo\nthree\nunterminated');
  });

  it('finds the first match from the start with its arrival time, leaving the cursor alone', async () => {
    const serial = new SerialConsole();
    serial.push(Buffer.from('GNU GRUB  version 2.06\r\n'));
    const afterGrub = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 30));
    serial.push(Buffer.from('[    0.000000] Linux version 6.1.0\r\nlogin: '));
    expect(serial.take('login:')?.match).toBe('login:');
    const grub = serial.firstMatch('GNU GRUB');
    const kernel = serial.firstMatch(/Linux version (\S+)/);
    expect(grub?.at).toBeLessThanOrEqual(afterGrub);
    expect(kernel?.groups).toEqual(['6.1.0']);
    expect(kernel!.at).toBeGreaterThan(afterGrub);
    expect(serial.firstMatch('not there')).toBeUndefined();
    // take() goes on from its own cursor: text before it is not seen again.
    expect(serial.take('GNU GRUB')).toBeUndefined();
  });

  it('never lets a RegExp capture end at a chunk boundary, at any split of the console text', () => {
    const console = Buffer.from(
      '[    1.2] rcS: Rocky-like Linux 10.0, kernel 6.1.0-57-amd64\r\nmodules: 12 loaded\r\nlogin: ',
    );
    for (let split = 1; split < console.length; split++) {
      for (const chunks of [
        [console.subarray(0, split), console.subarray(split)],
        [...console].map((byte) => Buffer.of(byte)),
      ]) {
        const serial = new SerialConsole();
        const kernels: string[] = [];
        const counts: string[] = [];
        for (const chunk of chunks) {
          serial.push(chunk);
          const kernel = serial.firstMatch(/kernel (\S+)/);
          if (kernel) kernels.push(kernel.groups[0] ?? '');
          const count = serial.take(/modules: (\d+)/);
          if (count) counts.push(count.groups[0] ?? '');
        }
        expect(new Set(kernels)).toEqual(new Set(['6.1.0-57-amd64']));
        expect(counts).toEqual(['12']);
      }
    }
  });

  it('matches a prompt in the unfinished last line only when asked to, and everything once the console ended', () => {
    const serial = new SerialConsole();
    serial.push(Buffer.from('Debian GNU/Linux 12 host ttyS0\r\n\r\nhost login: root\r\nPassword: '));
    expect(serial.take(/[Pp]assword: ?$/m)).toBeUndefined();
    expect(serial.take(/[Pp]assword: ?$/m, { unfinishedLine: true })?.match).toBe('Password: ');
    // A literal cannot be cut, so a string prompt matches without the option.
    serial.push(Buffer.from('\r\nroot@host:~# '));
    expect(serial.take('root@host:~# ')?.match).toBe('root@host:~# ');
    serial.push(Buffer.from('exit status 4'));
    expect(serial.take(/exit status (\d+)/)).toBeUndefined();
    serial.end();
    expect(serial.take(/exit status (\d+)/)?.groups).toEqual(['4']);
  });
});
