import { CONNECT_TIMEOUT_MS, HIGH_WATER_MARK, LOW_WATER_MARK } from './constants.ts';
import { MessageInbox } from './message-inbox.ts';
import type { Connector, Wire } from './ports.ts';
import type { RTCIceServerLike } from './tracker-client.ts';

/** The parts of a simple-peer instance this adapter uses: its public API only. */
export interface SimplePeerLike {
  signal(data: unknown): void;
  send(data: Uint8Array): void;
  destroy(err?: Error): void;
  on(event: 'signal', fn: (data: unknown) => void): void;
  on(event: 'connect', fn: () => void): void;
  on(event: 'data', fn: (data: Uint8Array) => void): void;
  on(event: 'close', fn: () => void): void;
  on(event: 'error', fn: (err: Error & { code?: string }) => void): void;
  destroyed: boolean;
  /** The data channel's bufferedAmount (0 before it exists). */
  readonly bufferSize: number;
}

interface RTCDataChannelLike {
  bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  addEventListener?(type: string, fn: () => void): void;
  removeEventListener?(type: string, fn: () => void): void;
}

interface RTCPeerConnectionLike {
  readonly sctp?: { maxMessageSize?: number } | null;
  createDataChannel(label: string, init?: unknown): RTCDataChannelLike;
  addEventListener(type: 'datachannel', fn: (event: { channel: RTCDataChannelLike }) => void): void;
}

/**
 * The W3C WebRTC classes simple-peer runs on (its `wrtc` option): the browser's own, or Node's
 * polyfill (cli/node-webrtc.ts). Passed in (STYLE.md §3), and wrapped per connection so that the
 * wire holds its RTCPeerConnection and data channel without reaching into simple-peer.
 */
export interface WrtcLike {
  RTCPeerConnection: new (config?: never) => RTCPeerConnectionLike;
  RTCSessionDescription: unknown;
  RTCIceCandidate: unknown;
}

export type SimplePeerFactory = (opts: {
  initiator: boolean;
  trickle: boolean;
  config: { iceServers: RTCIceServerLike[]; iceTransportPolicy?: 'all' | 'relay' };
  wrtc: WrtcLike;
}) => SimplePeerLike;

/** What one connection's RTCPeerConnection and data channel are, once simple-peer made them. */
interface Tap {
  pc: RTCPeerConnectionLike | null;
  channel: RTCDataChannelLike | null;
}

/**
 * `wrtc` with an RTCPeerConnection that records itself and its data channel in `tap`: the one
 * simple-peer creates (initiator) or receives (`datachannel`, the other side). Standard API only.
 */
function tapped(wrtc: WrtcLike, tap: Tap): WrtcLike {
  const Base = wrtc.RTCPeerConnection as new (config?: unknown) => RTCPeerConnectionLike;
  class TappedPeerConnection extends Base {
    constructor(config?: unknown) {
      super(config);
      tap.pc = this;
      this.addEventListener('datachannel', (event) => (tap.channel = event.channel));
    }
    override createDataChannel(label: string, init?: unknown): RTCDataChannelLike {
      const channel = super.createDataChannel(label, init);
      tap.channel = channel;
      return channel;
    }
  }
  return { ...wrtc, RTCPeerConnection: TappedPeerConnection };
}

/** How signals reach other peers: the tracker relay. */
export interface Signaller {
  signal(to: string, data: unknown): Promise<void>;
  onSignal(fn: (from: string, data: unknown) => void): void;
}

export interface WebRtcConnectorOptions {
  createPeer: SimplePeerFactory;
  signaller: Signaller;
  iceServers: () => RTCIceServerLike[];
  iceTransportPolicy?: 'all' | 'relay';
  /** The WebRTC implementation simple-peer should use: the browser's classes, or Node's polyfill. */
  wrtc: WrtcLike;
}

interface Envelope {
  cid: string;
  s: unknown;
}

function isEnvelope(v: unknown): v is Envelope {
  return typeof v === 'object' && v !== null && typeof (v as Envelope).cid === 'string' && (v as Envelope).cid.length <= 64;
}

/**
 * Opens WebRTC data channels (simple-peer) to peers by id, signalled through the tracker. Each
 * connection attempt has its own id (`cid`) so that two attempts between the same peers never mix.
 */
export class WebRtcConnector implements Connector {
  readonly #opts: WebRtcConnectorOptions;
  readonly #peers = new Map<string, SimplePeerLike>();
  #incoming: (peerId: string, wire: Wire) => void = () => {};
  #closed = false;

  constructor(opts: WebRtcConnectorOptions) {
    this.#opts = opts;
    opts.signaller.onSignal((from, data) => this.#onSignal(from, data));
  }

  connect(peerId: string, signal?: AbortSignal): Promise<Wire> {
    if (this.#closed) return Promise.reject(new Error('connector closed'));
    const cid = randomId();
    const { peer, tap } = this.#create(true, peerId, cid);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`no WebRTC connection to ${peerId.slice(0, 8)} within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      const fail = (err: Error) => {
        clearTimeout(timer);
        peer.destroy();
        reject(err);
      };
      signal?.addEventListener('abort', () => fail(new Error('aborted')), { once: true });
      peer.on('error', (err) => fail(err));
      peer.on('connect', () => {
        clearTimeout(timer);
        resolve(new DataChannelWire(peer, tap, `webrtc:${peerId.slice(0, 8)}`));
      });
    });
  }

  onIncoming(fn: (peerId: string, wire: Wire) => void): void {
    this.#incoming = fn;
  }

  close(): void {
    this.#closed = true;
    for (const p of this.#peers.values()) p.destroy();
    this.#peers.clear();
  }

  #create(initiator: boolean, peerId: string, cid: string): { peer: SimplePeerLike; tap: Tap } {
    const key = `${peerId}/${cid}`;
    const tap: Tap = { pc: null, channel: null };
    const peer = this.#opts.createPeer({
      initiator,
      trickle: true,
      config: { iceServers: this.#opts.iceServers(), iceTransportPolicy: this.#opts.iceTransportPolicy ?? 'all' },
      wrtc: tapped(this.#opts.wrtc, tap)
    });
    this.#peers.set(key, peer);
    peer.on('signal', (s) => {
      this.#opts.signaller.signal(peerId, { cid, s }).catch((err: Error) => peer.destroy(err));
    });
    peer.on('close', () => this.#peers.delete(key));
    peer.on('error', () => this.#peers.delete(key));
    return { peer, tap };
  }

  #onSignal(from: string, data: unknown): void {
    if (this.#closed || !isEnvelope(data)) return;
    const key = `${from}/${data.cid}`;
    let peer = this.#peers.get(key);
    if (!peer) {
      // Only an offer may open a new connection; stray candidates for a finished attempt are dropped.
      if ((data.s as { type?: string } | null)?.type !== 'offer') return;
      const { peer: created, tap } = this.#create(false, from, data.cid);
      peer = created;
      const timer = setTimeout(() => created.destroy(), CONNECT_TIMEOUT_MS);
      created.on('connect', () => {
        clearTimeout(timer);
        this.#incoming(from, new DataChannelWire(created, tap, `webrtc:${from.slice(0, 8)}`));
      });
      created.on('error', () => clearTimeout(timer));
    }
    try {
      peer.signal(data.s);
    } catch {
      peer.destroy();
    }
  }
}

/** A Wire over a connected simple-peer data channel, with bufferedAmount backpressure. */
class DataChannelWire implements Wire {
  readonly label: string;
  readonly maxMessageSize: number;
  readonly #peer: SimplePeerLike;
  readonly #channel: RTCDataChannelLike | null;
  readonly #inbox = new MessageInbox();
  #onClose: (reason: string) => void = () => {};
  #closed = false;

  constructor(peer: SimplePeerLike, tap: Tap, label: string) {
    this.#peer = peer;
    this.label = label;
    // 65536 when the implementation does not say (RTCSctpTransport.maxMessageSize is newer than data channels).
    this.maxMessageSize = tap.pc?.sctp?.maxMessageSize || 65536;
    const channel = tap.channel;
    this.#channel = channel;
    if (channel) channel.bufferedAmountLowThreshold = LOW_WATER_MARK;
    peer.on('data', (data) => {
      const bytes = data instanceof Uint8Array ? data : new Uint8Array(data as ArrayBuffer);
      this.#inbox.deliver(bytes);
    });
    peer.on('close', () => this.#closeOnce('connection closed'));
    peer.on('error', (err) => this.#closeOnce(`connection error: ${err.code ?? err.message}`));
  }

  send(bytes: Uint8Array): void {
    if (this.#closed) throw new Error('wire closed');
    this.#peer.send(bytes);
  }

  bufferedAmount(): number {
    return this.#peer.bufferSize;
  }

  drain(): Promise<void> {
    const channel = this.#channel;
    if (this.#closed || !channel || channel.bufferedAmount <= HIGH_WATER_MARK) return Promise.resolve();
    return new Promise((resolve) => {
      // Some implementations never fire bufferedamountlow: poll as well.
      const done = () => {
        clearInterval(poll);
        channel.removeEventListener?.('bufferedamountlow', done);
        resolve();
      };
      const poll = setInterval(() => {
        if (this.#closed || channel.bufferedAmount <= LOW_WATER_MARK) done();
      }, 25);
      channel.addEventListener?.('bufferedamountlow', done);
    });
  }

  close(reason: string): void {
    this.#closeOnce(reason);
    this.#peer.destroy();
  }

  onMessage(fn: (bytes: Uint8Array) => void): void {
    this.#inbox.listen(fn);
  }

  onClose(fn: (reason: string) => void): void {
    this.#onClose = fn;
  }

  #closeOnce(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose(reason);
  }
}

function randomId(): string {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
