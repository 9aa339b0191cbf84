import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadVerified } from '../src/fetch-resource.js';

const body = randomBytes(300_000);
const sha256 = createHash('sha256').update(body).digest('hex');
const work = mkdtempSync(join(tmpdir(), 'rootfs-bootstrap-fetch-'));
const requests: { url: string; range: string | undefined }[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', range: req.headers.range });
    if (req.url === '/missing') return void res.writeHead(404).end();
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && req.url === '/file') {
      const start = Number(range[1]);
      res.writeHead(206, { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
      return void res.end(body.subarray(start));
    }
    res.writeHead(200).end(body); // /no-range ignores Range headers
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});

describe('downloadVerified', () => {
  it('resumes a partial download with a Range request and verifies the whole file', async () => {
    const dest = join(work, 'resumed');
    writeFileSync(`${dest}.partial`, body.subarray(0, 100_000));
    const seen: number[] = [];
    await downloadVerified(`${base}/file`, dest, { sha256, size: body.length, onBytes: (n) => seen.push(n) });
    expect(readFileSync(dest).equals(body)).toBe(true);
    expect(existsSync(`${dest}.partial`)).toBe(false);
    expect(requests.at(-1)).toEqual({ url: '/file', range: 'bytes=100000-' });
    expect(seen.at(-1)).toBe(body.length);
  });

  it('starts over when the server ignores the range', async () => {
    const dest = join(work, 'restarted');
    writeFileSync(`${dest}.partial`, Buffer.from('garbage that is not the start of the file'));
    await downloadVerified(`${base}/no-range`, dest, { sha256, size: body.length });
    expect(readFileSync(dest).equals(body)).toBe(true);
  });

  it('refuses a file whose digest does not match and keeps nothing', async () => {
    const dest = join(work, 'bad');
    await expect(
      downloadVerified(`${base}/file`, dest, { sha256: '0'.repeat(64), size: body.length }),
    ).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_DIGEST',
      expected: `${'0'.repeat(64)} (${body.length} bytes)`,
    });
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.partial`)).toBe(false);
  });

  it('reports a missing file as ERR_BOOTSTRAP_FETCH', async () => {
    await expect(downloadVerified(`${base}/missing`, join(work, 'missing'), { sha256 })).rejects.toMatchObject({
      code: 'ERR_BOOTSTRAP_FETCH',
    });
  });
});
