/**
 * Test helper: a real Shoal server (tracker + REST) on 127.0.0.1 port 0 with its SQLite file in a
 * temporary directory, real socket.io-client connections, and manifests that pass verification.
 * `close()` disconnects the clients it made, stops the server and removes the directory it made.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { chunkCount } from '../../src/lib/core/chunks.ts';
import { computeContentId, createManifest, type Manifest } from '../../src/lib/core/manifest.ts';
import { silentLogger } from '../../src/lib/log.ts';
import type { Ack } from '../../src/lib/tracker/api.ts';
import { nodeSha256 } from '../../server/node-crypto.ts';
import { startShoalServer, type ShoalServer, type ShoalServerOptions } from '../../server/shoal-server.ts';

export type ClientSocket = Socket;

export interface ConnectOptions {
  token?: string;
  kind?: 'browser' | 'node';
  /** Replaces the whole `auth` object (for bad-auth tests). */
  auth?: unknown;
  transports?: ('polling' | 'websocket')[];
}

export interface TestTracker {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly server: ShoalServer;
  /** Connects a client (token random unless given); resolves once connected, rejects with the connect error. */
  connect(opts?: ConnectOptions): Promise<ClientSocket>;
  /** GET a path, parsed as JSON. */
  get(path: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** A random client secret: 43 characters of base64url. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The peer id the server derives from a token. */
export function peerIdOf(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 32);
}

export function connectClient(url: string, opts: ConnectOptions = {}): Promise<ClientSocket> {
  const auth = opts.auth ?? { token: opts.token ?? randomToken(), kind: opts.kind ?? 'browser' };
  const socket = io(url, {
    auth: auth as Record<string, unknown>,
    forceNew: true,
    reconnection: false,
    transports: opts.transports ?? ['websocket']
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('connect_error');
      resolve(socket);
    });
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Emits `event` with `payload` and resolves with the ack (rejects after `timeoutMs`). */
export function request<T extends object = Record<string, any>>(
  socket: ClientSocket,
  event: string,
  payload: unknown,
  timeoutMs = 5_000
): Promise<Ack<T> & Record<string, any>> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload);
}

/** Resolves with the next `event` on the socket (rejects after `timeoutMs`). */
export function nextEvent<T = any>(socket: ClientSocket, event: string, timeoutMs = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (value: T) => {
      clearTimeout(timer);
      resolve(value);
    };
    socket.once(event, on);
  });
}

/** A manifest with random chunk hashes (nothing behind them) and its true content id. */
export async function makeManifest(name: string, size = 40_000, chunkSize = 16 * 1024): Promise<{ id: string; manifest: Manifest }> {
  const chunkHashes = Array.from({ length: chunkCount(size, chunkSize) }, () => randomBytes(32).toString('hex'));
  const manifest = createManifest({ name, size, mimeType: 'application/octet-stream', chunkSize, chunkHashes });
  return { id: await computeContentId(manifest, nodeSha256), manifest };
}

export async function startTestTracker(opts: Partial<ShoalServerOptions> = {}): Promise<TestTracker> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'shoal-tracker-')));
  const server = await startShoalServer({ log: silentLogger, ...opts, dataDir, port: opts.port ?? 0, host: '127.0.0.1' });
  const clients = new Set<ClientSocket>();
  let closed = false;
  return {
    url: server.url,
    port: server.port,
    dataDir,
    server,
    async connect(connectOpts) {
      const socket = await connectClient(server.url, connectOpts);
      clients.add(socket);
      return socket;
    },
    async get(path) {
      const res = await fetch(server.url + path);
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: the text is the body
      }
      return { status: res.status, body };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const socket of clients) socket.close();
      await server.close();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    }
  };
}
