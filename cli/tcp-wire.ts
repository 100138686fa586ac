import type { Socket } from 'node:net';
import { MAX_MESSAGE_SIZE } from '../src/lib/core/constants.ts';
import { ShoalError } from '../src/lib/core/errors.ts';
import { FrameDecoder } from '../src/lib/core/wire.ts';
import { HIGH_WATER_MARK } from '../src/lib/peer/constants.ts';
import type { Wire } from '../src/lib/peer/ports.ts';
import { STALLED_FRAME_TIMEOUT_MS } from './constants.ts';

export interface TcpWireOptions {
  /** A decoder that already consumed the first bytes of the stream (incoming connections). */
  decoder?: FrameDecoder;
  /** Messages already decoded from those first bytes, delivered before any later one. */
  initial?: Uint8Array[];
  /** Called once when the stream carries a bad frame; the wire then closes with that reason. */
  onMalformed?: (reason: string) => void;
  /** A frame started must be whole within this many ms (STALLED_FRAME); 0 for no limit. */
  stallTimeoutMs?: number;
}

/**
 * A Wire over a TCP socket (docs/PROTOCOL.md §7): each message is one frame, a u32 big-endian
 * length and the message. Backpressure: drain() waits for the socket's 'drain' while more than
 * HIGH_WATER_MARK bytes are queued. A bad frame closes the connection with a reason, and so does
 * a frame begun but not finished within `stallTimeoutMs` (STALLED_FRAME), so a peer cannot hold
 * the connection with half a frame.
 */
export class TcpWire implements Wire {
  readonly label: string;
  readonly maxMessageSize = MAX_MESSAGE_SIZE;
  readonly #socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #onMalformed: (reason: string) => void;
  #onMessage: ((bytes: Uint8Array) => void) | null = null;
  #early: Uint8Array[];
  #onClose: (reason: string) => void = () => {};
  #closed = false;
  #closeReason = '';
  readonly #stallMs: number;
  #stallTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(socket: Socket, label: string, opts: TcpWireOptions = {}) {
    this.#socket = socket;
    this.label = label;
    this.#decoder = opts.decoder ?? new FrameDecoder();
    this.#early = opts.initial ? [...opts.initial] : [];
    this.#onMalformed = opts.onMalformed ?? (() => {});
    this.#stallMs = opts.stallTimeoutMs ?? STALLED_FRAME_TIMEOUT_MS;
    this.#watchStall(false);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (piece: Buffer) => this.#onData(piece));
    socket.on('close', () => this.#closeOnce('connection closed'));
    socket.on('error', (err: NodeJS.ErrnoException) => this.#closeOnce(`connection error: ${err.code ?? err.message}`));
    if (socket.destroyed) this.#closeOnce('connection closed');
  }

  send(bytes: Uint8Array): void {
    if (this.#closed) throw new Error(`wire closed: ${this.#closeReason}`);
    if (bytes.length === 0 || bytes.length > MAX_MESSAGE_SIZE) throw new Error(`message of ${bytes.length} bytes cannot be framed`);
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(bytes.length, 0);
    // Two writes under cork: no copy of the message, one segment on the wire.
    this.#socket.cork();
    this.#socket.write(head);
    this.#socket.write(bytes);
    this.#socket.uncork();
  }

  bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  drain(): Promise<void> {
    if (this.#closed || this.#socket.writableLength <= HIGH_WATER_MARK) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        resolve();
      };
      this.#socket.on('drain', done);
      this.#socket.on('close', done);
    });
  }

  close(reason: string): void {
    this.#closeOnce(reason);
    this.#socket.destroy();
  }

  onMessage(fn: (bytes: Uint8Array) => void): void {
    this.#onMessage = fn;
    if (this.#early.length === 0) return;
    // Messages that came with the first bytes are delivered on the next microtask, not inside
    // this call: the session registering here has no listeners of its own yet (its 'ready').
    queueMicrotask(() => this.#flushEarly());
  }

  #flushEarly(): void {
    while (this.#early.length > 0 && !this.#closed && this.#onMessage) this.#onMessage(this.#early.shift()!);
  }

  onClose(fn: (reason: string) => void): void {
    this.#onClose = fn;
    if (this.#closed) fn(this.#closeReason);
  }

  #onData(piece: Buffer): void {
    if (this.#closed) return;
    let messages: Uint8Array[];
    try {
      messages = this.#decoder.push(piece);
    } catch (err) {
      const code = err instanceof ShoalError ? err.code : 'WIRE_MALFORMED';
      this.#malformed(`${code}: ${(err as Error).message}`);
      return;
    }
    this.#watchStall(messages.length > 0);
    for (const m of messages) {
      if (this.#closed) return;
      if (this.#onMessage && this.#early.length === 0) this.#onMessage(m);
      else this.#early.push(m);
    }
  }

  #malformed(reason: string): void {
    if (this.#closed) return;
    this.#onMalformed(reason);
    this.close(reason);
  }

  /**
   * Times the frame being received, if any: from its first byte (a frame finished restarts the
   * clock for the next one), cleared once no frame is partly received.
   */
  #watchStall(frameFinished: boolean): void {
    if (this.#decoder.pending === 0 || this.#closed || this.#stallMs <= 0) {
      if (this.#stallTimer) clearTimeout(this.#stallTimer);
      this.#stallTimer = null;
      return;
    }
    if (this.#stallTimer && !frameFinished) return;
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = null;
      const frame = this.#decoder.partial();
      const what = frame ? `a frame of ${frame.length} bytes (${frame.start.length} received)` : 'a frame length';
      this.#malformed(`STALLED_FRAME: ${what} was not finished within ${this.#stallMs / 1000} s`);
    }, this.#stallMs);
  }

  #closeOnce(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    this.#stallTimer = null;
    this.#closeReason = reason;
    this.#onClose(reason);
  }
}
