import { BLOCK_SIZE } from '../src/lib/core/constants.ts';
import { MessageType } from '../src/lib/core/wire.ts';
import type { Wire } from '../src/lib/peer/ports.ts';
import { UploadLimiter } from '../src/lib/peer/upload-limiter.ts';
import { UPLOAD_BURST_SECONDS } from './constants.ts';

export interface ManagedWireOptions {
  limiter?: UploadLimiter | null;
  onClosed?: (reason: string) => void;
  onSent?: (bytes: number) => void;
  /** Closes the wire after this many ms with no message either way and no drain waiting (IDLE_TIMEOUT); 0 for never. */
  idleTimeoutMs?: number;
  now?: () => number;
}

/**
 * The Node peer's upload limit, shared by all its wires: every message a wire sends is charged
 * after it went (the balance may go below zero), and `drain()` waits until the balance is back at
 * zero. The bucket starts full and holds UPLOAD_BURST_SECONDS of the rate, and at least one block
 * (BLOCK_SIZE), so a low limit still lets a whole block go at once.
 */
export function wireUploadLimiter(bytesPerSecond: number, now: () => number = Date.now): UploadLimiter {
  return new UploadLimiter(bytesPerSecond, { now, startFull: true, burst: (rate) => Math.max(BLOCK_SIZE, rate * UPLOAD_BURST_SECONDS) });
}

/**
 * Wraps any Wire (TCP or WebRTC) for the connector: sends count against the shared upload
 * limit (the session awaits drain() before each block, which waits for the bucket too), and the
 * connector learns when the wire closes even though the session owns its onClose.
 *
 * It also watches activity by the type byte of each message, in both directions: when the last
 * message passed (`lastActivity`), and when the last `request` or `data` did (`lastTransfer`,
 * null while the session has never requested or served anything). The connector closes idle
 * wires with these and picks which one to evict when it is full.
 */
export class ManagedWire implements Wire {
  readonly #inner: Wire;
  readonly #limiter: UploadLimiter | null;
  #onClose: ((reason: string) => void) | null = null;
  #closed: string | null = null;
  readonly #onSent: (bytes: number) => void;
  readonly #now: () => number;
  readonly #idleMs: number;
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  #draining = 0;
  /** When the last message passed either way (or the wire was made). */
  lastActivity: number;
  /** When the last `request` or `data` passed either way; null if none ever did. */
  lastTransfer: number | null = null;
  /** Whether the remote ever sent a `have`: it said what it wants or holds. */
  remoteSentHave = false;

  constructor(inner: Wire, opts: ManagedWireOptions = {}) {
    this.#inner = inner;
    this.#limiter = opts.limiter ?? null;
    this.#onSent = opts.onSent ?? (() => {});
    this.#now = opts.now ?? Date.now;
    this.#idleMs = opts.idleTimeoutMs ?? 0;
    this.lastActivity = this.#now();
    inner.onClose((reason) => {
      if (this.#closed !== null) return;
      this.#closed = reason;
      if (this.#idleTimer) clearTimeout(this.#idleTimer);
      this.#idleTimer = null;
      opts.onClosed?.(reason);
      this.#onClose?.(reason);
    });
    if (this.#closed === null) this.#armIdle(this.#idleMs);
  }

  /** Whether a file is moving on this wire: a `request` or `data` passed within `windowMs`. */
  transferring(windowMs: number): boolean {
    return this.lastTransfer !== null && this.#now() - this.lastTransfer < windowMs;
  }

  /**
   * How much the session has been worth so far, for eviction: 2 if it ever moved a file, 1 if the
   * remote at least sent a `have`, 0 if it said hello and nothing else.
   */
  get usefulness(): 0 | 1 | 2 {
    return this.lastTransfer !== null ? 2 : this.remoteSentHave ? 1 : 0;
  }

  #saw(type: number | undefined, incoming: boolean): void {
    const now = this.#now();
    this.lastActivity = now;
    if (incoming && type === MessageType.have) this.remoteSentHave = true;
    // The messages that move a file: `request` and `data` (docs/PROTOCOL.md §6).
    if (type === MessageType.request || type === MessageType.data) this.lastTransfer = now;
  }

  /** One timer per wire, re-armed for what is left when it fires, not on every message. */
  #armIdle(ms: number): void {
    if (this.#idleMs <= 0) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (this.#closed !== null) return;
      const left = this.lastActivity + this.#idleMs - this.#now();
      if (left > 0) return this.#armIdle(left);
      // A send waiting for the buffer (or the upload limit) is a transfer in flight, not idleness.
      if (this.#draining > 0) return this.#armIdle(this.#idleMs);
      this.close(`IDLE_TIMEOUT: no message either way for ${this.#idleMs / 1000} s`);
    }, ms);
  }

  get closed(): boolean {
    return this.#closed !== null;
  }

  get label(): string {
    return this.#inner.label;
  }

  get maxMessageSize(): number {
    return this.#inner.maxMessageSize;
  }

  send(bytes: Uint8Array): void {
    this.#inner.send(bytes);
    this.#saw(bytes[0], false);
    this.#limiter?.charge(bytes.length);
    this.#onSent(bytes.length);
  }

  bufferedAmount(): number {
    return this.#inner.bufferedAmount();
  }

  async drain(): Promise<void> {
    this.#draining++;
    try {
      await this.#inner.drain();
      if (this.#limiter && this.#closed === null) await this.#limiter.take(0);
    } finally {
      this.#draining--;
    }
  }

  close(reason: string): void {
    this.#inner.close(reason);
  }

  onMessage(fn: (bytes: Uint8Array) => void): void {
    this.#inner.onMessage((bytes) => {
      this.#saw(bytes[0], true);
      fn(bytes);
    });
  }

  onClose(fn: (reason: string) => void): void {
    this.#onClose = fn;
    if (this.#closed !== null) fn(this.#closed);
  }
}
