import { describe, expect, it } from 'vitest';
import { createLogger, isLogLevel, type LogRecord } from './log.ts';

describe('createLogger', () => {
  it('filters by level and names child namespaces', () => {
    const records: LogRecord[] = [];
    const log = createLogger('tracker', { level: 'info', sink: (r) => records.push(r) });
    log.debug('hidden');
    log.info('shown', { peers: 2 });
    log.child('socket').error('bad');
    expect(records.map((r) => [r.level, r.namespace, r.message])).toEqual([
      ['info', 'tracker', 'shown'],
      ['error', 'tracker:socket', 'bad']
    ]);
    expect(records[0].fields).toEqual({ peers: 2 });
  });
  it.skipIf(process.env.SHOAL_LOG_LEVEL)('is silent under Vitest unless SHOAL_LOG_LEVEL is set', () => {
    const records: LogRecord[] = [];
    createLogger('x', { sink: (r) => records.push(r) }).error('nothing');
    expect(records).toHaveLength(0);
  });
  it('knows its levels', () => {
    expect(isLogLevel('warn')).toBe(true);
    expect(isLogLevel('loud')).toBe(false);
  });
});
