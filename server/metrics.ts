/**
 * GET /metrics: the tracker's counters and gauges in the Prometheus text exposition format
 * (version 0.0.4), written by hand: a few dozen lines need no client library. Counters are per
 * process, since its start (`shoal_start_time_seconds`); Prometheus handles the resets.
 */
import { TRACKER_ERROR_CODES } from '../src/lib/tracker/errors.ts';
import type { TrackerStats } from '../src/lib/tracker/tracker.ts';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsInput {
  stats: TrackerStats;
  /** Files in the index, or null when the store did not answer. */
  files: number | null;
  store: string;
  presence: string;
  presenceUp: boolean;
  adapter: string;
  adapterUp: boolean;
}

type Labels = Record<string, string>;

/** Label values escape backslash, double quote and newline (the exposition format's rules). */
function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

class Writer {
  readonly lines: string[] = [];
  metric(name: string, type: 'counter' | 'gauge', help: string, samples: [Labels, number][]): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) this.lines.push(`${name}${labelText(labels)} ${Number.isFinite(value) ? value : 0}`);
  }
  one(name: string, type: 'counter' | 'gauge', help: string, value: number): void {
    this.metric(name, type, help, [[{}, value]]);
  }
}

export function renderMetrics(input: MetricsInput): string {
  const s = input.stats;
  const w = new Writer();
  w.one('shoal_start_time_seconds', 'gauge', 'When this tracker process started, unix seconds.', Math.floor(s.startedAt / 1000));
  w.metric('shoal_store_up', 'gauge', 'Whether the index store answered (1) or not (0), by store kind.', [[{ store: input.store }, input.files === null ? 0 : 1]]);
  w.metric('shoal_presence_up', 'gauge', 'Whether the presence store answered (1) or not (0), by kind (memory, redis).', [
    [{ presence: input.presence }, input.presenceUp ? 1 : 0]
  ]);
  w.metric('shoal_adapter_up', 'gauge', 'Whether the Socket.IO adapter is connected (1) or not (0), by adapter kind.', [
    [{ adapter: input.adapter }, input.adapterUp ? 1 : 0]
  ]);
  w.metric('shoal_peers', 'gauge', 'Peers online in the network (every tracker process sharing the presence), by kind.', [
    [{ kind: 'browser' }, s.peers.browser],
    [{ kind: 'node' }, s.peers.node]
  ]);
  w.one('shoal_swarms', 'gauge', 'Files with at least one online peer.', s.peers.swarms);
  w.metric('shoal_swarm_members', 'gauge', 'Peer-file memberships, by role.', [
    [{ role: 'seeder' }, s.peers.seeders],
    [{ role: 'leecher' }, s.peers.leechers]
  ]);
  if (input.files !== null) w.one('shoal_files_indexed', 'gauge', 'Files in the index.', input.files);
  w.one('shoal_bytes_announced', 'gauge', 'Total size of the files in active swarms, bytes.', s.files.bytesAnnounced);
  w.one('shoal_connections', 'gauge', 'Open Socket.IO peer connections.', s.connections.current);
  w.one('shoal_connections_total', 'counter', 'Peer connections accepted.', s.connections.total);
  w.one('shoal_connections_refused_total', 'counter', 'Connections refused for a bad handshake.', s.connections.badAuth);
  w.metric('shoal_connections_closed_total', 'counter', 'Connections the tracker closed, by reason.', [
    [{ reason: 'expired' }, s.connections.expired],
    [{ reason: 'replaced' }, s.connections.replaced],
    [{ reason: 'abusive' }, s.connections.abusive]
  ]);
  w.metric(
    'shoal_events_total',
    'counter',
    'Client events received, by event.',
    Object.entries(s.events).map(([event, n]) => [{ event }, n])
  );
  w.one('shoal_announces_total', 'counter', 'Announce requests handled.', s.announces.requests);
  w.one('shoal_announced_files_total', 'counter', 'Files accepted in announces.', s.announces.files);
  w.one('shoal_new_files_total', 'counter', 'Files added to the index by announces.', s.announces.newFiles);
  w.one('shoal_searches_total', 'counter', 'Searches answered (socket and REST).', s.searches);
  w.one('shoal_signals_relayed_total', 'counter', 'WebRTC signals relayed between peers.', s.signalsRelayed);
  w.metric(
    'shoal_rejected_messages_total',
    'counter',
    'Client messages answered with an error, by code.',
    TRACKER_ERROR_CODES.map((code) => [{ code }, s.rejected[code] ?? 0])
  );
  w.metric(
    'shoal_rejected_announce_entries_total',
    'counter',
    'Files refused inside announces, by code.',
    TRACKER_ERROR_CODES.map((code) => [{ code }, s.rejectedFiles[code] ?? 0])
  );
  w.one('shoal_messages_without_ack_total', 'counter', 'Client messages sent without an acknowledgement callback.', s.noAck);
  w.one('shoal_unknown_events_total', 'counter', 'Client messages with an unknown event name.', s.unknownEvents);
  w.one('shoal_transfers_completed_total', 'counter', 'Downloads peers completed.', s.transfers.completed);
  w.metric('shoal_transfer_bytes_total', 'counter', 'Bytes peers reported moving, by direction.', [
    [{ direction: 'up' }, s.transfers.bytesUp],
    [{ direction: 'down' }, s.transfers.bytesDown]
  ]);
  w.one('shoal_transfer_reports_total', 'counter', 'Transfer reports received.', s.transfers.reports);
  return `${w.lines.join('\n')}\n`;
}
