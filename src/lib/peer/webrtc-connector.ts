import { CONNECT_TIMEOUT_MS, HIGH_WATER_MARK, LOW_WATER_MARK } from './constants.ts';
import { MessageInbox } from './message-inbox.ts';
import type { Connector, Wire } from './ports.ts';
import type { RTCIceServerLike } from './tracker-client.ts';

/** The parts of a simple-peer instance this adapter uses. */
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
  _channel?: RTCDataChannelLike | null;
  _pc?: { sctp?: { maxMessageSize?: number } | null } | null;
}

interface RTCDataChannelLike {
  bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  addEventListener?(type: string, fn: () => void): void;
  removeEventListener?(type: string, fn: () => void): void;
}

export type SimplePeerFactory = (opts: {
  initiator: boolean;
  trickle: boolean;
  config: { iceServers: RTCIceServerLike[]; iceTransportPolicy?: 'all' | 'relay' };
  wrtc?: unknown;
}) => SimplePeerLike;

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
  /** For Node: the WebRTC implementation simple-peer should use. */
  wrtc?: unknown;
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
    const peer = this.#create(true, peerId, cid);
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
        resolve(new DataChannelWire(peer, `webrtc:${peerId.slice(0, 8)}`));
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

  #create(initiator: boolean, peerId: string, cid: string): SimplePeerLike {
    const key = `${peerId}/${cid}`;
    const peer = this.#opts.createPeer({
      initiator,
      trickle: true,
      config: { iceServers: this.#opts.iceServers(), iceTransportPolicy: this.#opts.iceTransportPolicy ?? 'all' },
      wrtc: this.#opts.wrtc
    });
    this.#peers.set(key, peer);
    peer.on('signal', (s) => {
      this.#opts.signaller.signal(peerId, { cid, s }).catch((err: Error) => peer.destroy(err));
    });
    peer.on('close', () => this.#peers.delete(key));
    peer.on('error', () => this.#peers.delete(key));
    return peer;
  }

  #onSignal(from: string, data: unknown): void {
    if (this.#closed || !isEnvelope(data)) return;
    const key = `${from}/${data.cid}`;
    let peer = this.#peers.get(key);
    if (!peer) {
      // Only an offer may open a new connection; stray candidates for a finished attempt are dropped.
      if ((data.s as { type?: string } | null)?.type !== 'offer') return;
      peer = this.#create(false, from, data.cid);
      const created = peer;
      const timer = setTimeout(() => created.destroy(), CONNECT_TIMEOUT_MS);
      created.on('connect', () => {
        clearTimeout(timer);
        this.#incoming(from, new DataChannelWire(created, `webrtc:${from.slice(0, 8)}`));
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
  readonly #inbox = new MessageInbox();
  #onClose: (reason: string) => void = () => {};
  #closed = false;

  constructor(peer: SimplePeerLike, label: string) {
    this.#peer = peer;
    this.label = label;
    this.maxMessageSize = peer._pc?.sctp?.maxMessageSize || 65536;
    const channel = peer._channel;
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
    return this.#peer._channel?.bufferedAmount ?? 0;
  }

  drain(): Promise<void> {
    const channel = this.#peer._channel;
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
