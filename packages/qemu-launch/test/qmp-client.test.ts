import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QmpClient, QmpError } from '@distroforge/qemu-launch';

/** A scripted QMP server speaking the wire protocol the way QEMU does. */
async function fakeQemu(
  handler: (command: { execute: string; id: string; arguments?: unknown }, reply: (m: object) => void) => void,
) {
  const dir = await mkdtemp(join(tmpdir(), 'qmp-test-'));
  const path = join(dir, 'qmp.sock');
  const server = createServer((socket) => {
    const reply = (m: object) => socket.write(`${JSON.stringify(m)}\r\n`);
    reply({ QMP: { version: { qemu: { major: 7 } }, capabilities: [] } });
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      for (let i; (i = buffer.indexOf('\n')) >= 0; ) {
        const command = JSON.parse(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
        handler(command, reply);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { path, close: async () => (server.close(), rm(dir, { recursive: true, force: true })) };
}

describe('QmpClient', () => {
  it('negotiates, matches replies by id, delivers events, maps errors', async () => {
    const seen: string[] = [];
    const qemu = await fakeQemu((command, reply) => {
      seen.push(command.execute);
      if (command.execute === 'query-status') {
        reply({ event: 'RESUME', timestamp: { seconds: 1, microseconds: 2 } });
        reply({ return: { status: 'running', running: true }, id: command.id });
      } else if (command.execute === 'bogus')
        reply({ error: { class: 'CommandNotFound', desc: 'The command bogus has not been found' }, id: command.id });
      else reply({ return: {}, id: command.id });
    });
    const qmp = await QmpClient.connect(qemu.path);
    const event = qmp.nextEvent('RESUME', 5000);
    expect(await qmp.execute('query-status')).toEqual({ status: 'running', running: true });
    expect(await event).toMatchObject({ event: 'RESUME', timestamp: { seconds: 1, microseconds: 2 } });
    const error = await qmp.execute('bogus').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QmpError);
    expect(error).toMatchObject({ code: 'ERR_QMP', errorClass: 'CommandNotFound' });
    expect(seen).toEqual(['qmp_capabilities', 'query-status', 'bogus']);
    qmp.close();
    await qemu.close();
  });

  it('a connection that closes mid-command rejects with QmpError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qmp-test-'));
    const path = join(dir, 'qmp.sock');
    const server = createServer((socket) => {
      socket.write('{"QMP": {"version": {}, "capabilities": []}}\r\n');
      socket.once('data', () => socket.destroy()); // QEMU exiting while a command is pending
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const error = await QmpClient.connect(path, 2000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QmpError);
    expect((error as QmpError).message).toMatch(/qmp_capabilities.*closed/);
    server.close();
    await rm(dir, { recursive: true, force: true });
  });
});
