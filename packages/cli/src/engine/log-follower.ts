import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

const POLL_MS = 200;

/** Stops following; resolves after a last read, so every line written before it was delivered. */
export interface LogFollower {
  stop(): Promise<void>;
}

/**
 * Follows the `*.log` files a stage's tools write in `dir` (the packages log each external tool's
 * output to a file the stage names), calling `onLine` with each complete line as it is appended
 * and with an unfinished last line at `stop`. Polling, not fs.watch: it is a view for `--verbose`,
 * a few reads a second, and works the same on every file system.
 */
export function followLogs(dir: string, onLine: (line: string) => void): LogFollower {
  const files = new Map<string, { offset: number; decoder: StringDecoder; partial: string }>();
  // Reused: the decoder copies what it is given into strings.
  const buffer = Buffer.alloc(64 * 1024);
  let reading = Promise.resolve();
  const readNew = async () => {
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.log')).sort();
    for (const name of names) {
      let file = files.get(name);
      if (!file) files.set(name, (file = { offset: 0, decoder: new StringDecoder('utf8'), partial: '' }));
      const handle = await open(join(dir, name), 'r').catch(() => undefined);
      if (!handle) continue;
      try {
        for (;;) {
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, file.offset);
          if (bytesRead === 0) break;
          file.offset += bytesRead;
          const lines = (file.partial + file.decoder.write(buffer.subarray(0, bytesRead))).split('\n');
          file.partial = lines.pop() ?? '';
          for (const line of lines) onLine(line.replace(/\r$/, ''));
        }
      } finally {
        await handle.close();
      }
    }
  };
  // One read at a time: a slow read is not overtaken by the next tick's.
  const tick = () => {
    reading = reading.then(readNew);
  };
  const timer = setInterval(tick, POLL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      tick();
      await reading;
      for (const file of files.values()) {
        const rest = file.partial + file.decoder.end();
        if (rest) onLine(rest);
        file.partial = '';
      }
    },
  };
}
