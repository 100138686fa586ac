import type { Wire } from '../src/lib/peer/ports.ts';
import type { TokenBucket } from './rate-limit.ts';

/**
 * Wraps any Wire (TCP or WebRTC) for the connector: sends count against the shared upload
 * limit (the session awaits drain() before each block, which waits for the bucket too), and the
 * connector learns when the wire closes even though the session owns its onClose.
 */
export class ManagedWire implements Wire {
  readonly #inner: Wire;
  readonly #limiter: TokenBucket | null;
  #onClose: ((reason: string) => void) | null = null;
  #closed: string | null = null;

  readonly #onSent: (bytes: number) => void;

  constructor(inner: Wire, opts: { limiter?: TokenBucket | null; onClosed?: (reason: string) => void; onSent?: (bytes: number) => void }) {
    this.#inner = inner;
    this.#limiter = opts.limiter ?? null;
    this.#onSent = opts.onSent ?? (() => {});
    inner.onClose((reason) => {
      if (this.#closed !== null) return;
      this.#closed = reason;
      opts.onClosed?.(reason);
      this.#onClose?.(reason);
    });
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
    this.#limiter?.take(bytes.length);
    this.#onSent(bytes.length);
  }

  bufferedAmount(): number {
    return this.#inner.bufferedAmount();
  }

  async drain(): Promise<void> {
    await this.#inner.drain();
    if (this.#limiter && this.#closed === null) await this.#limiter.wait();
  }

  close(reason: string): void {
    this.#inner.close(reason);
  }

  onMessage(fn: (bytes: Uint8Array) => void): void {
    this.#inner.onMessage(fn);
  }

  onClose(fn: (reason: string) => void): void {
    this.#onClose = fn;
    if (this.#closed !== null) fn(this.#closed);
  }
}
