import type { Connector, Wire } from '../src/lib/peer/ports.ts';
import type { Counters } from './counters.ts';
import { ManagedWire } from './managed-wire.ts';
import type { TokenBucket } from './rate-limit.ts';
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
  limiter?: TokenBucket | null;
  counters: Counters;
}

/**
 * One Connector over TCP and WebRTC: a peer LAN discovery has heard from is dialled over TCP
 * (falling back to WebRTC if that fails), any other over WebRTC signalled by the tracker.
 * Incoming connections from both are accepted up to `maxPeers`.
 */
export interface Connection {
  peerId: string;
  transport: 'tcp' | 'webrtc';
  direction: 'in' | 'out';
  label: string;
  since: number;
  bytesSent: number;
}

export class CompositeConnector implements Connector {
  readonly #opts: CompositeConnectorOptions;
  readonly #wires = new Map<Wire, Connection>();
  /** Bytes sent over every connection so far (wire messages, all kinds). */
  bytesSent = 0;
  #incoming: (peerId: string, wire: Wire) => void = (_p, w) => w.close('not accepting connections');
  #closed = false;

  constructor(opts: CompositeConnectorOptions) {
    this.#opts = opts;
    opts.tcp?.onIncoming((peerId, wire) => this.#accept(peerId, wire, 'tcp'));
    opts.webrtc?.onIncoming((peerId, wire) => this.#accept(peerId, wire, 'webrtc'));
  }

  /** Connections open now. */
  get open(): number {
    return this.#wires.size;
  }

  connections(): Connection[] {
    return [...this.#wires.values()];
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
    if (!this.hasRoom()) throw new Error(`already connected to ${this.#opts.maxPeers} peers (max peers)`);
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
    if (this.#closed || !this.hasRoom()) {
      this.#opts.counters.add('refusedConnections', `${wire.label} too many peers`);
      wire.close('too many peers');
      return;
    }
    this.#incoming(peerId, this.#manage(wire, peerId, transport, 'in'));
  }

  #manage(inner: Wire, peerId: string, transport: Connection['transport'], direction: Connection['direction']): Wire {
    let tracked: Wire | null = null;
    const info: Connection = { peerId, transport, direction, label: inner.label, since: Date.now(), bytesSent: 0 };
    const wire = new ManagedWire(inner, {
      limiter: this.#opts.limiter,
      onClosed: () => {
        if (tracked) this.#wires.delete(tracked);
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
