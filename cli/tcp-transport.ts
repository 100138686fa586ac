import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { MAX_MANIFEST_JSON_BYTES } from '../src/lib/core/constants.ts';
import { fromHex } from '../src/lib/core/hex.ts';
import type { Manifest } from '../src/lib/core/manifest.ts';
import { ShoalError } from '../src/lib/core/errors.ts';
import { checkHelloStart, decodeMessage, FrameDecoder } from '../src/lib/core/wire.ts';
import { CONNECT_TIMEOUT_MS } from '../src/lib/peer/constants.ts';
import type { Wire } from '../src/lib/peer/ports.ts';
import {
  MANIFEST_TIMEOUT_MS,
  MAX_PENDING_TCP,
  MAX_PENDING_TCP_PER_ADDRESS,
  PENDING_GRACE_MS,
  STALLED_FRAME_TIMEOUT_MS,
  TCP_FIRST_BYTES_TIMEOUT_MS
} from './constants.ts';
import type { Counters } from './counters.ts';
import { addressKey, PendingConnections } from './pending-connections.ts';
import { TcpWire } from './tcp-wire.ts';

/**
 * The TCP side of LAN transfers (docs/NODE-PEER.md, "TCP"). One listening port carries two kinds
 * of connection, told apart by the first byte:
 *  - 0x00: a wire session, frames of docs/PROTOCOL.md §7 (a frame's u32 length is at most
 *    66,560, so its first byte is always 0); the first frame must be the dialler's `hello`,
 *    checked as its bytes arrive (type, then version, then length: checkHelloStart);
 *  - "SHMF": a manifest request: "SHMF", version 1, the 32-byte content id; the answer is one
 *    status byte (0 found, 1 not shared here, 2 version not supported), a u32 big-endian length
 *    (0 unless found) and the manifest as UTF-8 JSON (docs/PROTOCOL.md §3).
 * Until a connection has said which it is, it counts against the pending limits
 * (PendingConnections: per address and in all) and must do so within the first-bytes timeout.
 * Every reason a connection is closed for starts with its code (docs/PROTOCOL.md §9).
 */
export const MANIFEST_MAGIC = Buffer.from('SHMF', 'ascii');
export const MANIFEST_VERSION = 1;
/** Manifest answer status bytes. */
export const ManifestStatus = { found: 0, notShared: 1, badVersion: 2 } as const;
const MANIFEST_REQUEST_BYTES = MANIFEST_MAGIC.length + 1 + 32;

export interface TcpTransportOptions {
  /** Address to listen on (default all interfaces). */
  host?: string;
  /** Port to listen on; 0 for any. */
  port: number;
  /** Our peer id: a hello claiming it is a connection to ourselves and is refused. */
  peerId: string;
  /** The manifest of a file this peer shares, for manifest requests. */
  manifestOf(id: string): Manifest | undefined;
  counters: Counters;
  /** How long an incoming connection may take to say what it is (default TCP_FIRST_BYTES_TIMEOUT_MS). */
  firstBytesTimeoutMs?: number;
  /** How long a frame begun may take to finish, on every wire (default STALLED_FRAME_TIMEOUT_MS). */
  stallTimeoutMs?: number;
  /** Pending (undecided) incoming connections at most, per address and in all. */
  maxPendingPerAddress?: number;
  maxPending?: number;
  /** Over the per-address limit, only connections pending this long are closed (default PENDING_GRACE_MS). */
  pendingGraceMs?: number;
  /** How long an asker may take to receive a manifest answer (default MANIFEST_TIMEOUT_MS). */
  manifestAnswerTimeoutMs?: number;
}

export class TcpTransport {
  readonly #opts: TcpTransportOptions;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #incoming: (peerId: string, wire: Wire) => void = (_p, w) => w.close('not accepting connections');
  readonly #pending: PendingConnections;
  #port = 0;
  #closed = false;

  constructor(opts: TcpTransportOptions) {
    this.#opts = opts;
    this.#pending = new PendingConnections({
      perAddress: opts.maxPendingPerAddress ?? MAX_PENDING_TCP_PER_ADDRESS,
      total: opts.maxPending ?? MAX_PENDING_TCP,
      graceMs: opts.pendingGraceMs ?? PENDING_GRACE_MS
    });
    this.#server = createServer((socket) => this.#accept(socket));
    this.#server.on('error', () => undefined);
  }

  get port(): number {
    return this.#port;
  }

  /** Listens; resolves with the port. Rejects with the listen error (EADDRINUSE, EACCES). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#server.once('error', onError);
      this.#server.listen(this.#opts.port, this.#opts.host, () => {
        this.#server.off('error', onError);
        const addr = this.#server.address();
        this.#port = typeof addr === 'object' && addr ? addr.port : this.#opts.port;
        resolve(this.#port);
      });
    });
  }

  onIncoming(fn: (peerId: string, wire: Wire) => void): void {
    this.#incoming = fn;
  }

  /** Dials a peer's wire port; the engine sends `hello` on the returned wire at once. */
  connect(host: string, port: number, signal?: AbortSignal): Promise<Wire> {
    if (this.#closed) return Promise.reject(new Error('transport closed'));
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host, port });
      this.#track(socket);
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error(`no TCP connection to ${host}:${port} within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      signal?.addEventListener('abort', () => fail(new Error('aborted')), { once: true });
      socket.once('error', (err) => fail(err));
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(
          new TcpWire(socket, `tcp:${host}:${port}`, {
            onMalformed: (r) => this.#opts.counters.add('malformedFrames', `${host}:${port} ${r}`),
            stallTimeoutMs: this.#stallMs
          })
        );
      });
    });
  }

  /** Asks a peer for a manifest over TCP; resolves with the parsed JSON (unverified) or null if it does not share the id. */
  fetchManifest(host: string, port: number, id: string, signal?: AbortSignal): Promise<unknown | null> {
    const idBytes = fromHex(id);
    if (!idBytes || idBytes.length !== 32) return Promise.reject(new Error('bad id'));
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host, port });
      this.#track(socket);
      const parts: Buffer[] = [];
      let received = 0;
      let settled = false;
      const finish = (err: Error | null, value?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (err) reject(err);
        else resolve(value);
      };
      const timer = setTimeout(() => finish(new Error(`manifest request to ${host}:${port} timed out`)), MANIFEST_TIMEOUT_MS);
      signal?.addEventListener('abort', () => finish(new Error('aborted')), { once: true });
      socket.on('error', (err) => finish(err));
      socket.on('connect', () => socket.write(Buffer.concat([MANIFEST_MAGIC, Buffer.from([MANIFEST_VERSION]), idBytes])));
      socket.on('data', (piece: Buffer) => {
        parts.push(piece);
        received += piece.length;
        if (received > 5 + MAX_MANIFEST_JSON_BYTES) return finish(new Error('manifest answer too large'));
        const all = Buffer.concat(parts);
        if (all.length < 5) return;
        if (all[0] === ManifestStatus.notShared) return finish(null, null);
        if (all[0] === ManifestStatus.badVersion) return finish(new Error(`the peer does not take manifest requests of version ${MANIFEST_VERSION}`));
        if (all[0] !== ManifestStatus.found) return finish(new Error('malformed manifest answer'));
        const len = all.readUInt32BE(1);
        if (len > MAX_MANIFEST_JSON_BYTES) return finish(new Error('manifest answer too large'));
        if (all.length < 5 + len) return;
        try {
          finish(null, JSON.parse(all.subarray(5, 5 + len).toString('utf8')));
        } catch {
          finish(new Error('manifest answer is not JSON'));
        }
      });
      socket.on('close', () => finish(new Error('connection closed before the manifest arrived')));
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  get #stallMs(): number {
    return this.#opts.stallTimeoutMs ?? STALLED_FRAME_TIMEOUT_MS;
  }

  #accept(socket: Socket): void {
    if (this.#closed) return void socket.destroy();
    socket.on('error', () => undefined);
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.#track(socket);
    let first: Buffer = Buffer.alloc(0);
    let decided = false;
    /** A manifest answer being sent: it keeps its pending slot until the connection closes. */
    let answering = false;
    const decide = () => {
      if (decided) return false;
      decided = true;
      if (!answering) release();
      clearTimeout(timer);
      socket.off('data', onData);
      return true;
    };
    /** Closes before it said what it is: `reason` starts with its code. */
    const drop = (counter: 'malformedFrames' | 'refusedConnections', reason: string) => {
      if (!decide()) return;
      this.#opts.counters.add(counter, `${remote} ${reason}`);
      socket.destroy();
    };
    const malformed = (reason: string) => drop('malformedFrames', reason);
    const wireError = (err: unknown) => malformed(`${err instanceof ShoalError ? err.code : 'WIRE_MALFORMED'}: ${(err as Error).message}`);
    const release = this.#pending.add(addressKey(socket.remoteAddress), (reason) => {
      if (!answering) return drop('refusedConnections', reason);
      this.#opts.counters.add('refusedConnections', `${remote} ${reason}`);
      socket.destroy();
    });
    const waitMs = this.#opts.firstBytesTimeoutMs ?? TCP_FIRST_BYTES_TIMEOUT_MS;
    const timer = setTimeout(() => drop('refusedConnections', `PENDING_TIMEOUT: no hello or manifest request within ${waitMs / 1000} s`), waitMs);
    socket.once('close', () => {
      decide();
      release();
    });
    /**
     * Sends a manifest answer and closes. Until the asker has taken it all, the connection keeps
     * its pending slot, and it is cut after MANIFEST_TIMEOUT_MS: an asker that does not read
     * cannot pile up answers (up to 5 MiB each) in our memory.
     */
    const answer = (bytes: Buffer) => {
      answering = true;
      decide();
      const cutMs = this.#opts.manifestAnswerTimeoutMs ?? MANIFEST_TIMEOUT_MS;
      const cut = setTimeout(() => {
        this.#opts.counters.add('refusedConnections', `${remote} MANIFEST_TIMEOUT: the answer was not taken and the connection not closed within ${cutMs / 1000} s`);
        socket.destroy();
      }, cutMs);
      socket.once('close', () => clearTimeout(cut));
      socket.end(bytes);
    };
    const decoder = new FrameDecoder();
    let mode: 'wire' | 'other' | null = null;
    const onData = (piece: Buffer) => {
      if (piece.length === 0) return;
      mode ??= piece[0] === 0x00 ? 'wire' : 'other';
      if (mode === 'wire') {
        // A wire session: wait for the first whole frame, which must be a hello.
        let messages: Uint8Array[];
        let peerId: string;
        try {
          messages = decoder.push(piece);
          const frame = messages.length === 0 ? decoder.partial() : null;
          if (frame) checkHelloStart(frame.start, frame.length);
          if (messages.length === 0) return;
          checkHelloStart(messages[0], messages[0].length);
          const hello = decodeMessage(messages[0]);
          if (hello.type !== 'hello') return malformed('WIRE_MALFORMED: the first message is not a hello');
          peerId = hello.peerId;
        } catch (err) {
          return wireError(err);
        }
        if (peerId === this.#opts.peerId) return drop('refusedConnections', 'SELF: a connection to ourselves');
        decide();
        const wire = new TcpWire(socket, `tcp:${remote}`, {
          decoder,
          initial: messages,
          onMalformed: (r) => this.#opts.counters.add('malformedFrames', `${remote} ${r}`),
          stallTimeoutMs: this.#stallMs
        });
        this.#incoming(peerId, wire);
        return;
      }
      // A manifest request, or garbage.
      first = first.length === 0 ? piece : Buffer.concat([first, piece]);
      const n = Math.min(first.length, MANIFEST_MAGIC.length);
      if (!first.subarray(0, n).equals(MANIFEST_MAGIC.subarray(0, n))) return malformed('WIRE_MALFORMED: unknown first bytes (neither a frame nor a manifest request)');
      const head = Buffer.alloc(5);
      if (first.length > MANIFEST_MAGIC.length && first[MANIFEST_MAGIC.length] !== MANIFEST_VERSION) {
        // Answered, so that a peer of another version can tell this from a network failure.
        const version = first[MANIFEST_MAGIC.length];
        this.#opts.counters.add('malformedFrames', `${remote} MANIFEST_VERSION: manifest request version ${version}`);
        head[0] = ManifestStatus.badVersion;
        return answer(head);
      }
      if (first.length < MANIFEST_REQUEST_BYTES) return;
      if (first.length > MANIFEST_REQUEST_BYTES) return malformed('WIRE_MALFORMED: manifest request longer than 37 bytes');
      this.#opts.counters.add('manifestRequests', remote);
      const id = first.subarray(MANIFEST_MAGIC.length + 1).toString('hex');
      const manifest = this.#opts.manifestOf(id);
      if (!manifest) {
        head[0] = ManifestStatus.notShared;
        return answer(head);
      }
      const body = Buffer.from(JSON.stringify(manifest), 'utf8');
      head.writeUInt32BE(body.length, 1);
      answer(Buffer.concat([head, body]));
    };
    socket.on('data', onData);
  }
}
