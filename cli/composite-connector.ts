import { REQUEST_TIMEOUT_MS } from '../src/lib/peer/constants.ts';
import type { Connector, Wire } from '../src/lib/peer/ports.ts';
import type { UploadLimiter } from '../src/lib/peer/upload-limiter.ts';
import { IDLE_TIMEOUT_MS } from './constants.ts';
import type { Counters } from './counters.ts';
import { ManagedWire } from './managed-wire.ts';
import type { TcpTransport } from './tcp-transport.ts';

export interface CompositeConnectorOptions {
  /** TCP for peers whose LAN address is known. */
  tcp?: TcpTransport | null;
  /** peerId → where it accepts TCP, learnt by LAN discovery. */
  lanAddressOf?: (peerId: string) => { host: string; port: number } | undefined;
  /** WebRTC through the tracker for every other peer. */
  webrtc?: Connector | null;
  /** Open connections at most, both directions, every transport. */
  maxPeers: number;
  /** Shared upload limit, if any. */
  limiter?: UploadLimiter | null;
  counters: Counters;
  /** Closes a session with no message either way for this long (default IDLE_TIMEOUT_MS; 0 for never). */
  idleTimeoutMs?: number;
  now?: () => number;
}

export interface Connection {
  peerId: string;
  transport: 'tcp' | 'webrtc';
  direction: 'in' | 'out';
  label: string;
  since: number;
  bytesSent: number;
  /** When the last message passed either way. */
  lastActivity: number;
  /** When the last `request` or `data` passed either way; null if the session never moved a file. */
  lastTransfer: number | null;
}

/**
 * One Connector over TCP and WebRTC: a peer LAN discovery has heard from is dialled over TCP
 * (falling back to WebRTC if that fails), any other over WebRTC signalled by the tracker.
 * Connections of both kinds and directions count against `maxPeers`. When it is reached, a new
 * one evicts the least useful open session rather than being refused (#victim): never one moving
 * a file (a `request` or `data` passed within REQUEST_TIMEOUT_MS, the engine's own limit for an
 * answer); first those that said hello and nothing else, then those that never requested or
 * served anything, then the rest, and among equals the longest silent. Only
 * when every session is moving a file is a new one refused. Sessions silent for idleTimeoutMs
 * close (ManagedWire).
 */
export class CompositeConnector implements Connector {
  readonly #opts: CompositeConnectorOptions;
  readonly #wires = new Map<ManagedWire, Connection>();
  readonly #now: () => number;
  /** Bytes sent over every connection so far (wire messages, all kinds). */
  bytesSent = 0;
  #incoming: (peerId: string, wire: Wire) => void = (_p, w) => w.close('not accepting connections');
  #closed = false;

  constructor(opts: CompositeConnectorOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    opts.tcp?.onIncoming((peerId, wire) => this.#accept(peerId, wire, 'tcp'));
    opts.webrtc?.onIncoming((peerId, wire) => this.#accept(peerId, wire, 'webrtc'));
  }

  /** Connections open now. */
  get open(): number {
    return this.#wires.size;
  }

  connections(): Connection[] {
    return [...this.#wires].map(([w, info]) => ({ ...info, lastActivity: w.lastActivity, lastTransfer: w.lastTransfer }));
  }

  /** Whether another connection may open now. */
  hasRoom(): boolean {
    return this.#wires.size < this.#opts.maxPeers;
  }

  /** The transport that would reach a peer now. */
  routeOf(peerId: string): 'tcp' | 'webrtc' | null {
    if (this.#opts.tcp && this.#opts.lanAddressOf?.(peerId)) return 'tcp';
    return this.#opts.webrtc ? 'webrtc' : null;
  }

  async connect(peerId: string, signal?: AbortSignal): Promise<Wire> {
    if (this.#closed) throw new Error('connector closed');
    if (!this.hasRoom() && !this.#victim()) throw new Error(`already connected to ${this.#opts.maxPeers} peers (max peers), all of them moving files`);
    const { tcp, webrtc } = this.#opts;
    const addr = this.#opts.lanAddressOf?.(peerId);
    let tcpError: unknown = null;
    if (tcp && addr) {
      try {
        return this.#manage(await tcp.connect(addr.host, addr.port, signal), peerId, 'tcp', 'out');
      } catch (err) {
        tcpError = err;
      }
    }
    if (webrtc) return this.#manage(await webrtc.connect(peerId, signal), peerId, 'webrtc', 'out');
    if (tcpError) throw tcpError;
    throw new Error('no transport reaches this peer (not on the LAN, and no tracker)');
  }

  onIncoming(fn: (peerId: string, wire: Wire) => void): void {
    this.#incoming = fn;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of [...this.#wires.keys()]) w.close('peer stopping');
    this.#wires.clear();
    this.#opts.tcp?.close();
    this.#opts.webrtc?.close();
  }

  #accept(peerId: string, wire: Wire, transport: Connection['transport']): void {
    if (this.#closed || !this.#makeRoom()) {
      const reason = this.#closed ? 'peer stopping' : `TOO_MANY_PEERS: ${this.#opts.maxPeers} sessions open, all of them moving files`;
      this.#opts.counters.add('refusedConnections', `${wire.label} ${reason}`);
      wire.close(reason);
      return;
    }
    this.#incoming(peerId, this.#manage(wire, peerId, transport, 'in'));
  }

  /**
   * The open session a new one may replace when maxPeers is reached, or null: not moving a file;
   * the least useful first (hello only, then a `have` but nothing moved, then moved something
   * before), and of those the longest silent.
   */
  #victim(): ManagedWire | null {
    let best: ManagedWire | null = null;
    for (const w of this.#wires.keys()) {
      if (w.closed || w.transferring(REQUEST_TIMEOUT_MS)) continue;
      if (!best || w.usefulness < best.usefulness || (w.usefulness === best.usefulness && w.lastActivity < best.lastActivity)) best = w;
    }
    return best;
  }

  /** True if a session may open now, after evicting the least useful one if the table is full. */
  #makeRoom(): boolean {
    while (!this.hasRoom()) {
      const victim = this.#victim();
      if (!victim) return false;
      const info = this.#wires.get(victim)!;
      const silent = Math.round((this.#now() - victim.lastActivity) / 1000);
      const worth = ['said hello and nothing else', 'never requested or served anything', 'moved nothing lately'][victim.usefulness];
      const reason = `EVICTED: room for a new peer; ${worth}, silent for ${silent} s`;
      this.#opts.counters.add('evictedConnections', `${info.label} ${reason}`);
      this.#wires.delete(victim);
      victim.close(reason);
    }
    return true;
  }

  #manage(inner: Wire, peerId: string, transport: Connection['transport'], direction: Connection['direction']): Wire {
    if (direction === 'out' && !this.#makeRoom()) {
      const reason = `TOO_MANY_PEERS: ${this.#opts.maxPeers} sessions open, all of them moving files`;
      inner.close(reason);
      throw new Error(reason);
    }
    let tracked: ManagedWire | null = null;
    const now = this.#now();
    const info: Connection = { peerId, transport, direction, label: inner.label, since: now, bytesSent: 0, lastActivity: now, lastTransfer: null };
    const wire = new ManagedWire(inner, {
      idleTimeoutMs: this.#opts.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
      now: this.#now,
      limiter: this.#opts.limiter,
      onClosed: (reason) => {
        if (tracked) this.#wires.delete(tracked);
        if (reason.startsWith('IDLE_TIMEOUT')) this.#opts.counters.add('idleConnections', `${info.label} ${reason}`);
      },
      onSent: (n) => {
        info.bytesSent += n;
        this.bytesSent += n;
      }
    });
    if (!wire.closed) {
      tracked = wire;
      this.#wires.set(wire, info);
    }
    return wire;
  }
}
