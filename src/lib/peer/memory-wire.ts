import { MessageInbox } from './message-inbox.ts';
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
  readonly #inbox = new MessageInbox();
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
      peer.#inbox.deliver(copy);
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
    this.#inbox.listen(fn);
  }

  onClose(fn: (reason: string) => void): void {
    this.#onClose = fn;
  }
}
