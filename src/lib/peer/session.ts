import { Bitfield } from '../core/bitfield.ts';
import { BLOCK_SIZE, PROTOCOL_VERSION } from '../core/constants.ts';
import { ShoalError } from '../core/errors.ts';
import { decodeMessage, encodeMessage, RejectReason, WHOLE_FILE, type RejectReasonCode, type WireMessage } from '../core/wire.ts';
import { HELLO_TIMEOUT_MS, MAX_UPLOAD_QUEUE } from './constants.ts';
import { Emitter } from './emitter.ts';
import type { Wire } from './ports.ts';

export interface SessionEvents extends Record<string, unknown[]> {
  ready: [];
  have: [id: string, bits: Bitfield];
  chunk: [id: string, chunk: number, bytes: Uint8Array];
  reject: [id: string, chunk: number, reason: RejectReasonCode];
  /** We finished sending a whole chunk the remote asked for. */
  uploaded: [id: string, chunk: number, bytes: number];
  close: [reason: string];
}

/** What a session needs from its owner to answer requests and size incoming chunks. */
export interface SessionHost {
  readonly peerId: string;
  /** Our bitfield for `id`, or undefined if we do not share it. */
  bitfieldOf(id: string): Bitfield | undefined;
  /** Reads a chunk we hold, or undefined. */
  readChunk(id: string, chunk: number): Promise<Uint8Array | undefined>;
  /** Expected byte length of a chunk we asked for, or undefined if we do not know the file. */
  chunkLength(id: string, chunk: number): number | undefined;
  /** Resolves when `bytes` more may be uploaded (the peer's upload rate limit). */
  throttle(bytes: number): Promise<void>;
  /** Whether to send this chunk to this peer now (super-seeding); false: it is told busy. */
  mayServe?(id: string, chunk: number, peerId: string): boolean;
}

interface Incoming {
  buf: Uint8Array;
  received: number;
}

const key = (id: string, chunk: number) => `${id}:${chunk}`;

/**
 * The protocol state machine over one Wire (docs/PROTOCOL.md): hello, have, request/data,
 * cancel, reject. Malformed input closes the wire with a reason; it never throws to the caller.
 */
export class PeerSession extends Emitter<SessionEvents> {
  readonly wire: Wire;
  readonly #host: SessionHost;
  /** Remote peer id: from the directory when we dialled, confirmed by its hello. */
  remoteId: string;
  remoteReady = false;
  destroyed = false;
  bytesUp = 0;
  bytesDown = 0;
  /** Ids we have told the remote about with a `have`; it gets our updates for these. */
  readonly haveSent = new Set<string>();
  /** The remote's latest bitfield for each id it sent a `have` for. */
  readonly remoteHave = new Map<string, Bitfield>();
  /** Ids for which we choke the remote: its requests are refused as busy (docs/PROTOCOL.md §11). */
  readonly #choking = new Set<string>();
  /** Chokes to send once the chunk being sent ends, so that no chunk is cut short. */
  readonly #chokeAfterCurrent = new Set<string>();
  readonly #requested = new Map<string, Incoming | null>();
  readonly #uploadQueue: { id: string; chunk: number }[] = [];
  #uploading: string | null = null;
  #cancelledCurrent = false;
  readonly #helloTimer: ReturnType<typeof setTimeout>;

  constructor(wire: Wire, host: SessionHost, remoteId: string) {
    super();
    this.wire = wire;
    this.#host = host;
    this.remoteId = remoteId;
    wire.onMessage((bytes) => this.#onMessage(bytes));
    wire.onClose((reason) => this.#teardown(reason));
    this.#helloTimer = setTimeout(() => this.close('no hello from peer'), HELLO_TIMEOUT_MS);
    this.#send({ type: 'hello', version: PROTOCOL_VERSION, peerId: host.peerId, maxMessage: wire.maxMessageSize });
  }

  /**
   * Tells the remote which chunks of `id` we have (also: that we want the file). While we choke
   * the remote for `id`, updates are held back: the next `have` it gets is the unchoke.
   */
  sendHave(id: string, bits: Bitfield): void {
    this.haveSent.add(id);
    if (this.#choking.has(id)) return;
    this.#send({ type: 'have', id, count: bits.size, bitfield: bits.bytes });
  }

  isChoking(id: string): boolean {
    return this.#choking.has(id);
  }

  /**
   * Chokes the remote for `id` (PROTOCOL.md §11): its queued requests are dropped and it is told
   * with `reject(WHOLE_FILE, busy)` — after the chunk being sent, if it is one of `id`'s.
   */
  choke(id: string): void {
    if (this.#choking.has(id) || this.destroyed) return;
    this.#choking.add(id);
    for (let i = this.#uploadQueue.length - 1; i >= 0; i--) if (this.#uploadQueue[i].id === id) this.#uploadQueue.splice(i, 1);
    if (this.#uploading?.startsWith(`${id}:`)) this.#chokeAfterCurrent.add(id);
    else this.#send({ type: 'reject', id, chunk: WHOLE_FILE, reason: RejectReason.busy });
  }

  /** Unchokes the remote for `id`: the `have` with our current bitfield says so. */
  unchoke(id: string, bits: Bitfield): void {
    if (!this.#choking.delete(id)) return;
    this.#chokeAfterCurrent.delete(id);
    this.sendHave(id, bits);
  }

  /** Tells the remote we do not share `id`. */
  sendUnknown(id: string): void {
    this.#send({ type: 'reject', id, chunk: 0xffffffff, reason: RejectReason.unknownContent });
  }

  request(id: string, chunk: number): void {
    this.#requested.set(key(id, chunk), null);
    this.#send({ type: 'request', id, chunk });
  }

  cancel(id: string, chunk: number): void {
    if (!this.#requested.delete(key(id, chunk))) return;
    this.#send({ type: 'cancel', id, chunk });
  }

  /** Forgets a request without telling the remote (it timed out or was judged lost). */
  forget(id: string, chunk: number): void {
    this.#requested.delete(key(id, chunk));
  }

  close(reason: string): void {
    if (this.destroyed) return;
    this.wire.close(reason);
    this.#teardown(reason);
  }

  #teardown(reason: string): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearTimeout(this.#helloTimer);
    this.#uploadQueue.length = 0;
    this.#requested.clear();
    this.emit('close', reason);
    this.removeAll();
  }

  #send(m: WireMessage): void {
    if (this.destroyed) return;
    try {
      const bytes = encodeMessage(m);
      this.wire.send(bytes);
      if (m.type === 'data') this.bytesUp += m.bytes.length;
    } catch (err) {
      this.close(`send failed: ${(err as Error).message}`);
    }
  }

  #onMessage(bytes: Uint8Array): void {
    if (this.destroyed) return;
    let m: WireMessage;
    try {
      m = decodeMessage(bytes);
    } catch (err) {
      const code = err instanceof ShoalError ? err.code : 'WIRE_MALFORMED';
      this.close(`${code}: ${(err as Error).message}`);
      return;
    }
    if (m.type === 'hello') {
      if (this.remoteReady) return this.close('WIRE_MALFORMED: second hello');
      clearTimeout(this.#helloTimer);
      this.remoteReady = true;
      this.remoteId = m.peerId;
      this.emit('ready');
      return;
    }
    if (!this.remoteReady) return this.close('WIRE_MALFORMED: message before hello');
    switch (m.type) {
      case 'have':
        this.#onHave(m.id, new Bitfield(m.count, m.bitfield));
        return;
      case 'request':
        this.#onRequest(m.id, m.chunk);
        return;
      case 'cancel':
        this.#onCancel(m.id, m.chunk);
        return;
      case 'data':
        this.#onData(m.id, m.chunk, m.offset, m.bytes);
        return;
      case 'reject':
        if (this.#requested.delete(key(m.id, m.chunk)) || m.chunk === 0xffffffff) this.emit('reject', m.id, m.chunk, m.reason);
        return;
    }
  }

  #onHave(id: string, bits: Bitfield): void {
    this.remoteHave.set(id, bits);
    this.emit('have', id, bits);
  }

  #onRequest(id: string, chunk: number): void {
    const mine = this.#host.bitfieldOf(id);
    if (!mine) return this.#send({ type: 'reject', id, chunk, reason: RejectReason.unknownContent });
    if (chunk >= mine.size) return this.#send({ type: 'reject', id, chunk, reason: RejectReason.badRequest });
    if (!mine.get(chunk)) return this.#send({ type: 'reject', id, chunk, reason: RejectReason.missingChunk });
    // Sent before the remote saw our choke: refused, and ignored there (it forgot the request).
    if (this.#choking.has(id)) return this.#send({ type: 'reject', id, chunk, reason: RejectReason.busy });
    if (this.#uploadQueue.length >= MAX_UPLOAD_QUEUE) return this.#send({ type: 'reject', id, chunk, reason: RejectReason.busy });
    this.#uploadQueue.push({ id, chunk });
    if (this.#uploading === null) void this.#pump();
  }

  #onCancel(id: string, chunk: number): void {
    const i = this.#uploadQueue.findIndex((r) => r.id === id && r.chunk === chunk);
    if (i >= 0) this.#uploadQueue.splice(i, 1);
    else if (this.#uploading === key(id, chunk)) this.#cancelledCurrent = true;
  }

  /** Reads a chunk to upload; undefined when the store fails or no longer has it. */
  #read(req: { id: string; chunk: number }): Promise<Uint8Array | undefined> {
    return this.#host.readChunk(req.id, req.chunk).catch(() => undefined);
  }

  async #pump(): Promise<void> {
    /** The next queued request, read while the current one is sent (a cancelled one is dropped). */
    let ahead: { req: { id: string; chunk: number }; bytes: Promise<Uint8Array | undefined> } | null = null;
    while (!this.destroyed && this.#uploadQueue.length > 0) {
      const req = this.#uploadQueue.shift()!;
      const { id, chunk } = req;
      if (this.#host.mayServe && !this.#host.mayServe(id, chunk, this.remoteId)) {
        this.#send({ type: 'reject', id, chunk, reason: RejectReason.busy });
        continue;
      }
      this.#uploading = key(id, chunk);
      this.#cancelledCurrent = false;
      const reading = ahead?.req === req ? ahead.bytes : this.#read(req);
      ahead = null;
      const bytes = await reading;
      if (this.destroyed) break;
      const next = this.#uploadQueue[0];
      if (next) ahead = { req: next, bytes: this.#read(next) };
      if (!bytes) {
        this.#send({ type: 'reject', id, chunk, reason: RejectReason.storageError });
        this.#flushChoke(id);
        continue;
      }
      for (let offset = 0; offset < bytes.length; offset += BLOCK_SIZE) {
        if (this.#cancelledCurrent || this.destroyed) break;
        await this.wire.drain();
        if (this.#cancelledCurrent || this.destroyed) break;
        const block = Math.min(BLOCK_SIZE, bytes.length - offset);
        await this.#host.throttle(block);
        if (this.#cancelledCurrent || this.destroyed) break;
        this.#send({ type: 'data', id, chunk, offset, bytes: bytes.subarray(offset, offset + BLOCK_SIZE) });
      }
      if (!this.#cancelledCurrent && !this.destroyed) this.emit('uploaded', id, chunk, bytes.length);
      this.#flushChoke(id);
    }
    this.#uploading = null;
    for (const id of [...this.#chokeAfterCurrent]) this.#flushChoke(id);
  }

  #flushChoke(id: string): void {
    if (!this.#chokeAfterCurrent.delete(id) || !this.#choking.has(id)) return;
    this.#send({ type: 'reject', id, chunk: WHOLE_FILE, reason: RejectReason.busy });
  }

  #onData(id: string, chunk: number, offset: number, block: Uint8Array): void {
    const k = key(id, chunk);
    if (!this.#requested.has(k)) return; // late block of a cancelled request: ignored
    const expected = this.#host.chunkLength(id, chunk);
    if (expected === undefined) return;
    let incoming = this.#requested.get(k);
    if (!incoming) {
      incoming = { buf: new Uint8Array(expected), received: 0 };
      this.#requested.set(k, incoming);
    }
    if (offset !== incoming.received || offset + block.length > expected) {
      this.close(`WIRE_MALFORMED: block at ${offset} does not continue chunk ${chunk} (have ${incoming.received} of ${expected})`);
      return;
    }
    incoming.buf.set(block, offset);
    incoming.received += block.length;
    this.bytesDown += block.length;
    if (incoming.received === expected) {
      this.#requested.delete(k);
      this.emit('chunk', id, chunk, incoming.buf);
    }
  }
}
