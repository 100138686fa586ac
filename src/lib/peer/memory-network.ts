import type { AnnounceEntry, Connector, Directory, RemotePeer, Wire } from './ports.ts';
import { memoryWirePair } from './memory-wire.ts';

/**
 * An in-memory network: a directory (like the tracker) and a connector per peer that dials
 * others by id. For tests of the engine without sockets.
 */
export class MemoryNetwork {
  /** Whether `from` may dial `to` (and finds it in whoHas); default: everyone reaches everyone. */
  readonly #reachable: (from: string, to: string) => boolean;
  readonly #manifests = new Map<string, unknown>();
  readonly #holders = new Map<string, Map<string, number>>();
  readonly #chunkCounts = new Map<string, number>();
  readonly #connectors = new Map<string, MemoryConnector>();

  constructor(opts: { reachable?: (from: string, to: string) => boolean } = {}) {
    this.#reachable = opts.reachable ?? (() => true);
  }

  connector(peerId: string): Connector {
    const c = new MemoryConnector(peerId, this.#connectors, this.#reachable);
    this.#connectors.set(peerId, c);
    return c;
  }

  directory(peerId: string): Directory {
    return {
      announce: async (files: AnnounceEntry[]) => {
        for (const f of files) {
          if (f.manifest) {
            this.#manifests.set(f.id, f.manifest);
            this.#chunkCounts.set(f.id, f.manifest.chunkHashes.length);
          }
          if (!this.#holders.has(f.id)) this.#holders.set(f.id, new Map());
          this.#holders.get(f.id)!.set(peerId, f.have);
        }
      },
      unannounce: async (ids: string[]) => {
        for (const id of ids) this.#holders.get(id)?.delete(peerId);
      },
      whoHas: async (id: string): Promise<RemotePeer[]> => {
        const count = this.#chunkCounts.get(id) ?? 0;
        return [...(this.#holders.get(id) ?? new Map<string, number>())]
          .filter(([p]) => p !== peerId && this.#connectors.has(p) && this.#reachable(peerId, p))
          .map(([p, have]) => ({ peerId: p, kind: 'node' as const, have, seeder: have === count }));
      },
      manifest: async (id: string) => {
        const m = this.#manifests.get(id);
        if (!m) throw Object.assign(new Error('Unknown content id.'), { code: 'NOT_FOUND' });
        return m;
      }
    };
  }

  /** Takes a peer off the network, closing its wires. */
  remove(peerId: string): void {
    this.#connectors.get(peerId)?.close();
    this.#connectors.delete(peerId);
  }
}

class MemoryConnector implements Connector {
  readonly #peerId: string;
  readonly #all: Map<string, MemoryConnector>;
  readonly #wires = new Set<Wire>();
  #incoming: (peerId: string, wire: Wire) => void = () => {};
  #closed = false;
  readonly #reachable: (from: string, to: string) => boolean;

  constructor(peerId: string, all: Map<string, MemoryConnector>, reachable: (from: string, to: string) => boolean) {
    this.#peerId = peerId;
    this.#all = all;
    this.#reachable = reachable;
  }

  async connect(peerId: string): Promise<Wire> {
    const remote = this.#all.get(peerId);
    if (!remote || this.#closed || !this.#reachable(this.#peerId, peerId)) throw new Error(`peer ${peerId} unreachable`);
    const [mine, theirs] = memoryWirePair();
    this.#wires.add(mine);
    remote.#wires.add(theirs);
    remote.#incoming(this.#peerId, theirs);
    return mine;
  }

  onIncoming(fn: (peerId: string, wire: Wire) => void): void {
    this.#incoming = fn;
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#wires) w.close('peer left');
    this.#wires.clear();
  }
}
