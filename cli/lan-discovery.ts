import { randomInt } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { verifyManifest, type Sha256 } from '../src/lib/core/manifest.ts';
import type { Logger } from '../src/lib/log.ts';
import type { AnnounceEntry, Directory, RemotePeer } from '../src/lib/peer/ports.ts';
import {
  LAN_ANNOUNCE_MS,
  LAN_MULTICAST_TTL,
  LAN_PEER_EXPIRY_MS,
  LAN_QUERY_MS,
  MAX_ANNOUNCE_ENTRIES,
  MAX_LAN_FILES_PER_PEER,
  MAX_LAN_PEERS,
  MAX_LAN_REPLIES_PER_SECOND
} from './constants.ts';
import type { Counters } from './counters.ts';
import { CliError } from './errors.ts';
import { decodeDatagram, encodeDatagram, type Datagram, type HeldFile } from './lan-datagram.ts';

export interface LanDiscoveryOptions {
  peerId: string;
  /** Multicast group (224.0.0.0/4) or broadcast address the datagrams go to. */
  address: string;
  port: number;
  /** Local IPv4 address of the interface to use for multicast (default: the kernel's choice). */
  interface?: string;
  /** Our TCP port, 0 if we accept no connections. */
  tcpPort: () => number;
  /** Files held: announced when public, and used to answer who-has queries. */
  holdings: () => (HeldFile & { visibility: 'public' | 'unlisted' })[];
  /** Fetches a manifest from a LAN peer over TCP (null if it does not share the id). */
  fetchManifest: (host: string, port: number, id: string) => Promise<unknown | null>;
  sha256: Sha256;
  counters: Counters;
  log: Logger;
  announceMs?: number;
  queryMs?: number;
  now?: () => number;
}

export interface LanPeer {
  peerId: string;
  host: string;
  tcpPort: number;
  lastSeen: number;
  files: Map<string, HeldFile>;
}

/** True for 224.0.0.0 – 239.255.255.255. */
export function isMulticast(address: string): boolean {
  const first = Number(address.split('.')[0]);
  return isIPv4(address) && first >= 224 && first <= 239;
}

/**
 * Refuses a discovery configuration that could send datagrams off this machine when
 * SHOAL_LAN_LOOPBACK_ONLY=1 (set by the tests): only a 127/8 broadcast address, or multicast on
 * the 127.0.0.1 interface, are allowed then.
 */
export function checkLoopbackOnly(address: string, iface: string | undefined, env = process.env): void {
  if (env.SHOAL_LAN_LOOPBACK_ONLY !== '1') return;
  const loop = (a: string | undefined) => a !== undefined && isIPv4(a) && a.startsWith('127.');
  if (isMulticast(address) ? loop(iface) : loop(address)) return;
  throw new CliError('BAD_ARGUMENT', `SHOAL_LAN_LOOPBACK_ONLY=1: refusing LAN discovery on ${address}${iface ? ` via ${iface}` : ''}; use a 127.x broadcast address or --lan-interface 127.0.0.1.`);
}

/**
 * Finds Node peers on the LAN without a tracker: periodic announcements and who-has queries over
 * UDP multicast or broadcast. One socket bound to the discovery port receives the group's
 * datagrams (several peers on one host share it); a second, on an ephemeral port, sends and
 * receives the unicast answers. Malformed datagrams are dropped and counted.
 */
export class LanDiscovery implements Directory {
  readonly #opts: LanDiscoveryOptions;
  readonly #peers = new Map<string, LanPeer>();
  readonly #queries = new Map<number, (d: Extract<Datagram, { type: 'ihave' }>, from: RemoteInfo) => void>();
  readonly #now: () => number;
  #group: Socket | null = null;
  #unicast: Socket | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #rotate = 0;
  #replyTokens = MAX_LAN_REPLIES_PER_SECOND;
  #replyRefill = 0;
  #announceSoon: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;

  constructor(opts: LanDiscoveryOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  get multicast(): boolean {
    return isMulticast(this.#opts.address);
  }

  async start(): Promise<void> {
    const { address, port } = this.#opts;
    if (!isIPv4(address)) throw new CliError('BAD_ARGUMENT', `LAN address must be an IPv4 address: ${address}`);
    checkLoopbackOnly(address, this.#opts.interface);
    const group = createSocket({ type: 'udp4', reuseAddr: true });
    const unicast = createSocket({ type: 'udp4' });
    this.#group = group;
    this.#unicast = unicast;
    for (const s of [group, unicast]) {
      s.on('message', (msg, rinfo) => this.#onDatagram(msg, rinfo));
      s.on('error', (err) => this.#opts.log.warn('discovery socket error', { err }));
    }
    // Multicast: bind the group address itself, so only the group's datagrams arrive.
    await bind(group, port, this.multicast ? address : undefined);
    await bind(unicast, 0, this.#opts.interface);
    if (this.multicast) {
      group.addMembership(address, this.#opts.interface);
      unicast.setMulticastTTL(LAN_MULTICAST_TTL);
      unicast.setMulticastLoopback(true);
      if (this.#opts.interface) unicast.setMulticastInterface(this.#opts.interface);
    } else {
      unicast.setBroadcast(true);
    }
    if (this.#stopped) return this.stop();
    this.#timer = setInterval(() => this.#tick(), this.#opts.announceMs ?? LAN_ANNOUNCE_MS);
    this.#sendAnnounce();
  }

  /** Says goodbye on the LAN and closes the sockets. Idempotent. */
  stop(): void {
    if (this.#stopped && !this.#group) return;
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#announceSoon) clearTimeout(this.#announceSoon);
    this.#timer = null;
    const unicast = this.#unicast;
    const group = this.#group;
    this.#unicast = null;
    this.#group = null;
    if (unicast) {
      try {
        const bye = encodeDatagram({ type: 'bye', peerId: this.#opts.peerId, tcpPort: this.#opts.tcpPort() });
        unicast.send(bye, this.#opts.port, this.#opts.address, () => unicast.close());
      } catch {
        unicast.close();
      }
    }
    group?.close();
    this.#queries.clear();
  }

  /** Where a LAN peer accepts TCP connections, if we have heard from it recently. */
  addressOf(peerId: string): { host: string; port: number } | undefined {
    const p = this.#peers.get(peerId);
    if (!p || p.tcpPort === 0 || this.#now() - p.lastSeen > LAN_PEER_EXPIRY_MS) return undefined;
    return { host: p.host, port: p.tcpPort };
  }

  /** LAN peers heard from recently. */
  peers(): LanPeer[] {
    this.#expire();
    return [...this.#peers.values()];
  }

  // Directory

  async announce(_files: AnnounceEntry[]): Promise<void> {
    // Announcements carry what holdings() says; a change is announced within a second.
    this.#announceSoon ??= setTimeout(() => {
      this.#announceSoon = null;
      this.#sendAnnounce();
    }, 1000);
  }

  async unannounce(_ids: string[]): Promise<void> {
    // The next announcement simply no longer lists them.
  }

  /** Asks the LAN who has `id`; resolves after LAN_QUERY_MS with the answers and what announcements told us. */
  async whoHas(id: string): Promise<RemotePeer[]> {
    const found = new Map<string, RemotePeer>();
    for (const p of this.peers()) {
      const f = p.files.get(id);
      if (f && holds(f) && p.tcpPort !== 0) found.set(p.peerId, { peerId: p.peerId, kind: 'node', have: f.have, seeder: f.have === f.chunks });
    }
    const unicast = this.#unicast;
    if (!unicast) return [...found.values()];
    const nonce = randomInt(0, 0xffffffff);
    this.#queries.set(nonce, (d) => {
      if (d.id === id && holds(d) && d.tcpPort !== 0) found.set(d.peerId, { peerId: d.peerId, kind: 'node', have: d.have, seeder: d.have === d.chunks });
    });
    this.#send({ type: 'whohas', peerId: this.#opts.peerId, tcpPort: this.#opts.tcpPort(), nonce, id });
    await new Promise((r) => setTimeout(r, this.#opts.queryMs ?? LAN_QUERY_MS));
    this.#queries.delete(nonce);
    return [...found.values()];
  }

  /** A manifest from a LAN peer that has the file, verified against the id (several peers are tried). */
  async manifest(id: string): Promise<unknown> {
    const peers = (await this.whoHas(id)).sort((a, b) => Number(b.seeder) - Number(a.seeder));
    let lastError: unknown = null;
    for (const p of peers.slice(0, 4)) {
      const addr = this.addressOf(p.peerId);
      if (!addr) continue;
      try {
        const raw = await this.#opts.fetchManifest(addr.host, addr.port, id);
        if (raw === null) continue;
        await verifyManifest(raw, id, this.#opts.sha256);
        return raw;
      } catch (err) {
        lastError = err;
        this.#opts.log.debug('manifest from LAN peer failed', { peer: p.peerId, err });
      }
    }
    const why = lastError ? ` (${(lastError as Error).message})` : '';
    throw Object.assign(new Error(`No peer on the LAN answered with this file's manifest${why}.`), { code: 'NOT_FOUND' });
  }

  // internals

  #tick(): void {
    this.#expire();
    this.#sendAnnounce();
  }

  #sendAnnounce(): void {
    const held = this.#opts.holdings().filter((f) => f.visibility === 'public');
    let files: HeldFile[] = [];
    if (held.length > 0) {
      // Rotate through the list, MAX_ANNOUNCE_ENTRIES at a time; who-has finds the rest at once.
      if (this.#rotate >= held.length) this.#rotate = 0;
      files = held.slice(this.#rotate, this.#rotate + MAX_ANNOUNCE_ENTRIES).map(({ id, have, chunks }) => ({ id, have, chunks }));
      this.#rotate += MAX_ANNOUNCE_ENTRIES;
    }
    this.#send({ type: 'announce', peerId: this.#opts.peerId, tcpPort: this.#opts.tcpPort(), files });
  }

  #send(d: Datagram, to?: { address: string; port: number }): void {
    const socket = this.#unicast;
    if (!socket) return;
    const bytes = encodeDatagram(d);
    socket.send(bytes, to?.port ?? this.#opts.port, to?.address ?? this.#opts.address, (err) => {
      if (err) this.#opts.log.debug('discovery send failed', { err });
      else this.#opts.counters.add('datagramsSent');
    });
  }

  #onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.#stopped) return;
    let d: Datagram;
    try {
      d = decodeDatagram(msg);
    } catch (err) {
      this.#opts.counters.add('malformedDatagrams', `${rinfo.address}:${rinfo.port} ${(err as Error).message}`);
      return;
    }
    if (d.peerId === this.#opts.peerId) return; // our own, looped back
    this.#opts.counters.add('datagramsReceived');
    switch (d.type) {
      case 'announce': {
        const peer = this.#touch(d.peerId, rinfo.address, d.tcpPort);
        for (const f of d.files) this.#remember(peer, f);
        return;
      }
      case 'whohas': {
        this.#touch(d.peerId, rinfo.address, d.tcpPort);
        const mine = this.#opts.holdings().find((f) => f.id === d.id);
        if (!mine || !holds(mine) || !this.#takeReplyToken()) return;
        this.#send(
          { type: 'ihave', peerId: this.#opts.peerId, tcpPort: this.#opts.tcpPort(), nonce: d.nonce, id: mine.id, have: mine.have, chunks: mine.chunks },
          { address: rinfo.address, port: rinfo.port }
        );
        return;
      }
      case 'ihave': {
        const peer = this.#touch(d.peerId, rinfo.address, d.tcpPort);
        this.#remember(peer, d);
        this.#queries.get(d.nonce)?.(d, rinfo);
        return;
      }
      case 'bye':
        this.#peers.delete(d.peerId);
        return;
    }
  }

  #touch(peerId: string, host: string, tcpPort: number): LanPeer {
    let peer = this.#peers.get(peerId);
    if (!peer) {
      if (this.#peers.size >= MAX_LAN_PEERS) this.#dropOldest();
      peer = { peerId, host, tcpPort, lastSeen: 0, files: new Map() };
      this.#peers.set(peerId, peer);
      this.#opts.log.debug('LAN peer', { peerId, host, tcpPort });
    }
    peer.host = host;
    peer.tcpPort = tcpPort;
    peer.lastSeen = this.#now();
    return peer;
  }

  #remember(peer: LanPeer, f: HeldFile): void {
    peer.files.delete(f.id); // re-insert: the map's order is oldest first
    peer.files.set(f.id, { id: f.id, have: f.have, chunks: f.chunks });
    if (peer.files.size > MAX_LAN_FILES_PER_PEER) peer.files.delete(peer.files.keys().next().value!);
  }

  #dropOldest(): void {
    let oldest: LanPeer | null = null;
    for (const p of this.#peers.values()) if (!oldest || p.lastSeen < oldest.lastSeen) oldest = p;
    if (oldest) this.#peers.delete(oldest.peerId);
  }

  #expire(): void {
    const cutoff = this.#now() - LAN_PEER_EXPIRY_MS;
    for (const [id, p] of this.#peers) if (p.lastSeen < cutoff) this.#peers.delete(id);
  }

  #takeReplyToken(): boolean {
    const now = this.#now();
    if (now - this.#replyRefill >= 1000) {
      this.#replyRefill = now;
      this.#replyTokens = MAX_LAN_REPLIES_PER_SECOND;
    }
    if (this.#replyTokens <= 0) return false;
    this.#replyTokens--;
    return true;
  }
}

/** A peer can serve something of a file: a chunk, or the manifest of an empty file. */
function holds(f: HeldFile): boolean {
  return f.have > 0 || f.chunks === 0;
}

function bind(socket: Socket, port: number, address?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(new CliError('BAD_ARGUMENT', `Cannot open LAN discovery on ${address ?? '0.0.0.0'}:${port}: ${err.message}`));
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}
