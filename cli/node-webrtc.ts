import { createRequire } from 'node:module';
import type { SimplePeerFactory, SimplePeerLike, WrtcLike } from '../src/lib/peer/webrtc-connector.ts';

/**
 * WebRTC for the Node peer: node-datachannel's W3C polyfill (libdatachannel) under simple-peer,
 * the same library the browser peer uses. Measured choice: docs/NODE-PEER.md, "WebRTC in Node".
 */
const require = createRequire(import.meta.url);

interface SessionDescriptionLike {
  type: string;
  sdp: string;
}

interface PolyfillModule {
  RTCPeerConnection: new (config?: unknown) => {
    createOffer(options?: unknown): Promise<SessionDescriptionLike>;
    createAnswer(options?: unknown): Promise<SessionDescriptionLike>;
  };
  RTCSessionDescription: unknown;
  RTCIceCandidate: unknown;
}

let cached: { wrtc: WrtcLike; cleanup: () => void } | null = null;

/**
 * The `wrtc` object simple-peer takes. simple-peer writes to `offer.sdp` (to munge it), which is
 * read-only on the polyfill's RTCSessionDescription, so createOffer/createAnswer return plain
 * `{ type, sdp }` objects instead (DESIGN.md, "Node side").
 */
export function nodeWrtc(): { wrtc: WrtcLike; cleanup: () => void } {
  if (cached) return cached;
  const polyfill = require('node-datachannel/polyfill') as PolyfillModule;
  const ndc = require('node-datachannel') as { cleanup(): void };
  class PlainSdpPeerConnection extends polyfill.RTCPeerConnection {
    override async createOffer(options?: unknown): Promise<SessionDescriptionLike> {
      const d = await super.createOffer(options);
      return { type: d.type, sdp: d.sdp };
    }
    override async createAnswer(options?: unknown): Promise<SessionDescriptionLike> {
      const d = await super.createAnswer(options);
      return { type: d.type, sdp: d.sdp };
    }
  }
  cached = {
    wrtc: {
      // The polyfill's class is the W3C one; its declared type here lists only what this file overrides.
      RTCPeerConnection: PlainSdpPeerConnection as unknown as WrtcLike['RTCPeerConnection'],
      RTCSessionDescription: polyfill.RTCSessionDescription,
      RTCIceCandidate: polyfill.RTCIceCandidate
    },
    // libdatachannel keeps threads; without this a process may not exit.
    cleanup: () => ndc.cleanup()
  };
  return cached;
}

/** simple-peer's CommonJS build (not simplepeer.min.js, which is for browsers). */
export const createSimplePeer: SimplePeerFactory = (opts) => {
  const SimplePeer = require('simple-peer') as new (o: unknown) => SimplePeerLike;
  return new SimplePeer(opts);
};

/** Stops libdatachannel's threads if it was loaded (before the process exits). */
export function shutdownWebRtc(): void {
  cached?.cleanup();
}
