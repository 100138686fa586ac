import type { Wire } from './ports.ts';

/** Two connected in-memory wires, for tests of the engine and of anything above a Wire. */
export function memoryWirePair(maxMessageSize = 256 * 1024): [Wire, Wire] {
  const a = new MemoryWire('memory:a', maxMessageSize);
  const b = new MemoryWire('memory:b', maxMessageSize);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class MemoryWire implements Wire {
  readonly label: string;
  readonly maxMessageSize: number;
  peer: MemoryWire | null = null;
  closed = false;
  #onMessage: ((bytes: Uint8Array) => void) | null = null;
  /** Messages that arrived before anyone listened: a Wire never drops them. */
  #early: Uint8Array[] = [];
  #onClose: (reason: string) => void = () => {};

  constructor(label: string, maxMessageSize: number) {
    this.label = label;
    this.maxMessageSize = maxMessageSize;
  }

  send(bytes: Uint8Array): void {
    if (this.closed) throw new Error('wire closed');
    if (bytes.length > this.maxMessageSize) throw new Error('message too large');
    const copy = new Uint8Array(bytes); // a copy even for a Buffer, whose slice() is a view
    const peer = this.peer;
    queueMicrotask(() => {
      if (!peer || peer.closed) return;
      if (peer.#onMessage) peer.#onMessage(copy);
      else peer.#early.push(copy);
    });
  }

  bufferedAmount(): number {
    return 0;
  }

  async drain(): Promise<void> {
    await new Promise((r) => setTimeout(r, 0));
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.#onClose(reason);
    const peer = this.peer;
    queueMicrotask(() => peer?.close(`remote closed: ${reason}`));
  }

  onMessage(fn: (bytes: Uint8Array) => void): void {
    this.#onMessage = fn;
    const early = this.#early;
    this.#early = [];
    for (const m of early) fn(m);
  }

  onClose(fn: (reason: string) => void): void {
    this.#onClose = fn;
  }
}
