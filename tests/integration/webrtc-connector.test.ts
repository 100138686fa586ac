import { afterEach, describe, expect, it } from 'vitest';
import { createSimplePeer, nodeWrtc } from '../../cli/node-webrtc.ts';
import { HIGH_WATER_MARK, LOW_WATER_MARK } from '../../src/lib/peer/constants.ts';
import type { Wire } from '../../src/lib/peer/ports.ts';
import { WebRtcConnector, type Signaller, type WrtcLike } from '../../src/lib/peer/webrtc-connector.ts';

/** Two signallers that hand each other's signals over in memory, in order. */
function signallerPair(): [Signaller, Signaller] {
  const listeners: [((from: string, data: unknown) => void) | null, ((from: string, data: unknown) => void) | null] = [null, null];
  const side = (me: 0 | 1, name: string): Signaller => ({
    signal: async (_to, data) => void queueMicrotask(() => listeners[me === 0 ? 1 : 0]?.(name, JSON.parse(JSON.stringify(data)))),
    onSignal: (fn) => void (listeners[me] = fn)
  });
  return [side(0, 'a'.repeat(32)), side(1, 'b'.repeat(32))];
}

interface Made {
  sctp?: { maxMessageSize?: number } | null;
}

/** Node's WebRTC classes, keeping every RTCPeerConnection and created data channel, to compare against. */
function recordingWrtc(): { wrtc: WrtcLike; made: Made[]; channels: { bufferedAmount: number }[] } {
  const base = nodeWrtc().wrtc;
  const made: Made[] = [];
  const channels: { bufferedAmount: number }[] = [];
  const Base = base.RTCPeerConnection as unknown as new (config?: unknown) => { createDataChannel(label: string, init?: unknown): { bufferedAmount: number } };
  class Recording extends Base {
    constructor(config?: unknown) {
      super(config);
      made.push(this as Made);
    }
    override createDataChannel(label: string, init?: unknown) {
      const channel = super.createDataChannel(label, init);
      channels.push(channel);
      return channel;
    }
  }
  return { wrtc: { ...base, RTCPeerConnection: Recording as unknown as WrtcLike['RTCPeerConnection'] }, made, channels };
}

const connectors: WebRtcConnector[] = [];
afterEach(() => {
  for (const c of connectors.splice(0)) c.close();
});

describe('WebRtcConnector in Node (node-datachannel)', () => {
  it('opens a wire with the connection’s own message size, moves bytes both ways, and drains', async () => {
    const [sa, sb] = signallerPair();
    const { wrtc, made, channels } = recordingWrtc();
    const a = new WebRtcConnector({ createPeer: createSimplePeer, signaller: sa, iceServers: () => [], wrtc });
    const b = new WebRtcConnector({ createPeer: createSimplePeer, signaller: sb, iceServers: () => [], wrtc });
    connectors.push(a, b);
    const incoming = new Promise<Wire>((resolve) => b.onIncoming((_from, wire) => resolve(wire)));
    const wa = await a.connect('b'.repeat(32));
    const wb = await incoming;

    expect(made).toHaveLength(2);
    for (const [wire, pc] of [[wa, made[0]], [wb, made[1]]] as const) {
      expect(pc.sctp?.maxMessageSize).toBeGreaterThan(0);
      expect(wire.maxMessageSize).toBe(pc.sctp?.maxMessageSize);
    }

    const count = Math.ceil((2 * HIGH_WATER_MARK) / (60 * 1024));
    const got: number[] = [];
    const all = new Promise<void>((resolve) =>
      wb.onMessage((bytes) => {
        got.push(bytes.length);
        if (got.length === count) resolve();
      })
    );
    const block = new Uint8Array(60 * 1024);
    for (let i = 0; i < count; i++) wa.send(block);
    // The wire reports its own channel's buffer (which only shrinks now that nothing is sent).
    expect(channels).toHaveLength(1);
    const before = channels[0]!.bufferedAmount;
    const reported = wa.bufferedAmount();
    const after = channels[0]!.bufferedAmount;
    expect(reported).toBeLessThanOrEqual(before);
    expect(reported).toBeGreaterThanOrEqual(after);
    await wa.drain();
    expect(wa.bufferedAmount()).toBeLessThanOrEqual(LOW_WATER_MARK);
    await all;
    expect(got).toEqual(Array(count).fill(block.length));

    const back = new Promise<Uint8Array>((resolve) => wa.onMessage(resolve));
    wb.send(new Uint8Array([1, 2, 3]));
    expect([...(await back)]).toEqual([1, 2, 3]);

    const closed = new Promise<string>((resolve) => wb.onClose(resolve));
    wa.close('done');
    expect(await closed).toMatch(/closed|error/);
  }, 30_000);
});
