import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { fromHex } from '../src/lib/core/hex.ts';
import type { Manifest } from '../src/lib/core/manifest.ts';
import { decodeMessage, FrameDecoder } from '../src/lib/core/wire.ts';
import { CONNECT_TIMEOUT_MS } from '../src/lib/peer/constants.ts';
import type { Wire } from '../src/lib/peer/ports.ts';
import { MANIFEST_TIMEOUT_MS, MAX_MANIFEST_JSON_BYTES, MAX_PENDING_TCP, TCP_FIRST_BYTES_TIMEOUT_MS } from './constants.ts';
import type { Counters } from './counters.ts';
import { TcpWire } from './tcp-wire.ts';

/**
 * The TCP side of LAN transfers (docs/NODE-PEER.md, "TCP"). One listening port carries two kinds
 * of connection, told apart by the first byte:
 *  - 0x00: a wire session, frames of docs/PROTOCOL.md §7 (a frame's u32 length is at most
 *    66,560, so its first byte is always 0); the first frame must be the dialler's `hello`;
 *  - "SHMF": a manifest request: "SHMF", version 1, the 32-byte content id; the answer is one
 *    status byte (0 found, 1 unknown), a u32 big-endian length and the manifest as UTF-8 JSON.
 */
export const MANIFEST_MAGIC = Buffer.from('SHMF', 'ascii');
export const MANIFEST_VERSION = 1;
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
}

export class TcpTransport {
  readonly #opts: TcpTransportOptions;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #incoming: (peerId: string, wire: Wire) => void = (_p, w) => w.close('not accepting connections');
  #pending = 0;
  #port = 0;
  #closed = false;

  constructor(opts: TcpTransportOptions) {
    this.#opts = opts;
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
        resolve(new TcpWire(socket, `tcp:${host}:${port}`, { onMalformed: (r) => this.#opts.counters.add('malformedFrames', `${host}:${port} ${r}`) }));
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
        if (all[0] === 1) return finish(null, null);
        if (all[0] !== 0) return finish(new Error('malformed manifest answer'));
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

  #refuse(socket: Socket, why: string): void {
    this.#opts.counters.add('refusedConnections', `${socket.remoteAddress}:${socket.remotePort} ${why}`);
    socket.destroy();
  }

  #accept(socket: Socket): void {
    if (this.#closed) return void socket.destroy();
    socket.on('error', () => undefined);
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.#pending >= MAX_PENDING_TCP) return this.#refuse(socket, 'too many pending connections');
    this.#pending++;
    this.#track(socket);
    let first: Buffer = Buffer.alloc(0);
    let decided = false;
    const decide = () => {
      if (decided) return false;
      decided = true;
      this.#pending--;
      clearTimeout(timer);
      socket.off('data', onData);
      return true;
    };
    const malformed = (why: string) => {
      if (!decide()) return;
      this.#opts.counters.add('malformedFrames', `${remote} ${why}`);
      socket.destroy();
    };
    const timer = setTimeout(() => malformed('nothing valid sent in time'), TCP_FIRST_BYTES_TIMEOUT_MS);
    socket.once('close', () => void decide());
    const decoder = new FrameDecoder();
    let mode: 'wire' | 'other' | null = null;
    const onData = (piece: Buffer) => {
      if (piece.length === 0) return;
      mode ??= piece[0] === 0x00 ? 'wire' : 'other';
      if (mode === 'wire') {
        // A wire session: wait for the first whole frame, which must be a hello.
        let messages: Uint8Array[];
        try {
          messages = decoder.push(piece);
        } catch (err) {
          return malformed((err as Error).message);
        }
        if (messages.length === 0) return;
        let peerId: string;
        try {
          const hello = decodeMessage(messages[0]);
          if (hello.type !== 'hello') return malformed('first message is not a hello');
          peerId = hello.peerId;
        } catch (err) {
          return malformed((err as Error).message);
        }
        if (peerId === this.#opts.peerId) return malformed('connection to ourselves');
        decide();
        const wire = new TcpWire(socket, `tcp:${remote}`, {
          decoder,
          initial: messages,
          onMalformed: (r) => this.#opts.counters.add('malformedFrames', `${remote} ${r}`)
        });
        this.#incoming(peerId, wire);
        return;
      }
      // A manifest request, or garbage.
      first = first.length === 0 ? piece : Buffer.concat([first, piece]);
      const n = Math.min(first.length, MANIFEST_MAGIC.length);
      if (!first.subarray(0, n).equals(MANIFEST_MAGIC.subarray(0, n))) return malformed('unknown first bytes');
      if (first.length < MANIFEST_REQUEST_BYTES) return;
      if (first.length > MANIFEST_REQUEST_BYTES) return malformed('manifest request too long');
      if (first[MANIFEST_MAGIC.length] !== MANIFEST_VERSION) return malformed('unknown manifest request version');
      decide();
      this.#opts.counters.add('manifestRequests', remote);
      const id = first.subarray(MANIFEST_MAGIC.length + 1).toString('hex');
      const manifest = this.#opts.manifestOf(id);
      const head = Buffer.alloc(5);
      if (!manifest) {
        head[0] = 1;
        socket.end(head);
        return;
      }
      const body = Buffer.from(JSON.stringify(manifest), 'utf8');
      head.writeUInt32BE(body.length, 1);
      socket.end(Buffer.concat([head, body]));
    };
    socket.on('data', onData);
  }
}
