import { connect, type Socket } from 'node:net';
import { QmpError } from './errors.js';

/** An asynchronous QMP event (`SHUTDOWN`, `POWERDOWN`, `RESET`, ...). */
export interface QmpEvent {
  event: string;
  data: Record<string, unknown> | undefined;
  timestamp: { seconds: number; microseconds: number } | undefined;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  command: string;
}

/**
 * A small client for QEMU's machine protocol: one JSON object per line, a greeting, a capabilities
 * handshake, commands matched to replies by `id`, and asynchronous events.
 */
export class QmpClient {
  #socket: Socket;
  #buffer = '';
  #nextId = 1;
  #pending = new Map<string, Pending>();
  #listeners = new Set<(event: QmpEvent) => void>();
  #greeting: Promise<Record<string, unknown>>;
  #closed: Error | undefined;

  /** Wraps a connected socket (QEMU as client of our server, or us as client of QEMU's). */
  constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    let greeted: (value: Record<string, unknown>) => void = () => {};
    let notGreeted: (error: Error) => void = () => {};
    this.#greeting = new Promise((resolve, reject) => {
      greeted = resolve;
      notGreeted = reject;
    });
    this.#greeting.catch(() => {});
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let newline: number;
      while ((newline = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, newline).trim();
        this.#buffer = this.#buffer.slice(newline + 1);
        if (line) this.#dispatch(line, greeted);
      }
    });
    const fail = (error: Error) => {
      if (this.#closed) return;
      this.#closed = error;
      notGreeted(error);
      for (const pending of this.#pending.values())
        pending.reject(new QmpError(`QMP ${pending.command}: ${error.message}`, { cause: error }));
      this.#pending.clear();
    };
    socket.on('error', (error) => fail(new QmpError(`QMP connection failed: ${error.message}`, { cause: error })));
    socket.on('close', () => fail(new QmpError('QMP connection closed (QEMU exited?)')));
  }

  /** Connects to a QMP server socket (e.g. `-qmp unix:PATH,server=on,wait=off`) and negotiates capabilities. */
  static async connect(path: string, timeoutMs = 10_000): Promise<QmpClient> {
    const socket = connect(path);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new QmpError(`QMP connect to ${path} timed out`, { path })), timeoutMs);
      socket.once('connect', () => (clearTimeout(timer), resolve()));
      socket.once(
        'error',
        (error) => (
          clearTimeout(timer), reject(new QmpError(`QMP connect to ${path}: ${error.message}`, { path, cause: error }))
        ),
      );
    });
    const client = new QmpClient(socket);
    await client.negotiate();
    return client;
  }

  /** Waits for the greeting and leaves capabilities-negotiation mode. Returns the greeting. */
  async negotiate(): Promise<Record<string, unknown>> {
    const greeting = await this.#greeting;
    await this.execute('qmp_capabilities');
    return greeting;
  }

  /** Runs a QMP command and resolves with its `return` value; a QMP error rejects with `QmpError`. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.#closed) return Promise.reject(new QmpError(`QMP ${command}: ${this.#closed.message}`));
    const id = String(this.#nextId++);
    const message = JSON.stringify(
      args === undefined ? { execute: command, id } : { execute: command, arguments: args, id },
    );
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, command });
      this.#socket.write(`${message}\n`);
    });
  }

  /** Calls `listener` for each event; returns a function that unsubscribes. */
  onEvent(listener: (event: QmpEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the next event of that name (or rejects after `timeoutMs`). */
  nextEvent(name: string, timeoutMs = 30_000): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => (off(), reject(new QmpError(`no QMP ${name} event within ${timeoutMs} ms`))),
        timeoutMs,
      );
      const off = this.onEvent((event) => {
        if (event.event !== name) return;
        clearTimeout(timer);
        off();
        resolve(event);
      });
    });
  }

  /** True until the connection closed. */
  get connected(): boolean {
    return this.#closed === undefined;
  }

  close(): void {
    this.#socket.destroy();
  }

  #dispatch(line: string, greeted: (value: Record<string, unknown>) => void): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // QMP never sends anything else; ignore noise rather than fail the session
    }
    if ('QMP' in message) {
      greeted(message.QMP as Record<string, unknown>);
    } else if ('event' in message) {
      const event: QmpEvent = {
        event: String(message.event),
        data: message.data as Record<string, unknown> | undefined,
        timestamp: message.timestamp as QmpEvent['timestamp'],
      };
      for (const listener of [...this.#listeners]) listener(event);
    } else if ('id' in message) {
      const pending = this.#pending.get(String(message.id));
      if (!pending) return;
      this.#pending.delete(String(message.id));
      if ('error' in message) {
        const error = message.error as { class?: string; desc?: string };
        pending.reject(
          new QmpError(`QMP ${pending.command} failed: ${error.desc ?? 'unknown error'}`, {
            value: pending.command,
            errorClass: error.class ?? 'unknown',
          }),
        );
      } else {
        pending.resolve(message.return);
      }
    }
  }
}
