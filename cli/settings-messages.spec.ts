import { describe, expect, it } from 'vitest';
import { parseArgv, resolveSettings } from './args.ts';
import { parseConfig } from './config.ts';

/** The exact message (and code) of every refusal of the config file and of the flags: scripts and users read them. */
function refusal(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    const e = err as { code: string; message: string };
    return { code: e.code, message: e.message };
  }
  throw new Error('expected a refusal');
}

const P = '/etc/shoal/c.json';

/** JSON.parse's own words, which vary with the Node version. */
function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('valid JSON');
}

describe('config file messages', () => {
  const cases: [string, string][] = [
    ['{', `${P}: not valid JSON (${jsonError('{')})`],
    ['[]', `${P}: must hold a JSON object`],
    ['null', `${P}: must hold a JSON object`],
    ['"x"', `${P}: must hold a JSON object`],
    ['{"trackr":1,"port":"x"}', `${P}: unknown key "trackr" (known: tracker, dataDir, output, port, lan, lanAddress, lanPort, lanInterface, maxPeers, uploadLimit, logLevel, json)`],
    ['{"tracker":1}', `${P}: tracker must be a non-empty string`],
    ['{"tracker":""}', `${P}: tracker must be a non-empty string`],
    ['{"tracker":true}', `${P}: tracker must be a non-empty string`],
    [`{"dataDir":"${'d'.repeat(4097)}"}`, `${P}: dataDir must be a non-empty string`],
    ['{"output":[]}', `${P}: output must be a non-empty string`],
    ['{"port":"80"}', `${P}: port must be a whole number from 0 to 65535`],
    ['{"port":65536}', `${P}: port must be a whole number from 0 to 65535`],
    ['{"port":1.5}', `${P}: port must be a whole number from 0 to 65535`],
    ['{"lan":"yes"}', `${P}: lan must be true or false`],
    ['{"lanAddress":"x"}', `${P}: lanAddress must be an IPv4 address`],
    ['{"lanAddress":4}', `${P}: lanAddress must be a non-empty string`],
    ['{"lanPort":0}', `${P}: lanPort must be a whole number from 1 to 65535`],
    ['{"lanInterface":"::1"}', `${P}: lanInterface must be an IPv4 address`],
    ['{"maxPeers":0}', `${P}: maxPeers must be a whole number from 1 to 1000`],
    ['{"maxPeers":1001}', `${P}: maxPeers must be a whole number from 1 to 1000`],
    ['{"uploadLimit":"fast"}', `${P}: uploadLimit must be bytes per second or a rate like "2M"`],
    ['{"uploadLimit":-1}', `${P}: uploadLimit must be bytes per second or a rate like "2M"`],
    ['{"uploadLimit":true}', `${P}: uploadLimit must be bytes per second or a rate like "2M"`],
    ['{"logLevel":"loud"}', `${P}: logLevel must be debug, info, warn, error or silent`],
    ['{"json":1}', `${P}: json must be true or false`],
    // The first bad key in this order is the one named.
    ['{"json":1,"port":-1}', `${P}: port must be a whole number from 0 to 65535`],
    ['{"logLevel":"x","tracker":3}', `${P}: tracker must be a non-empty string`]
  ];
  for (const [text, message] of cases) {
    it(`refuses ${text.slice(0, 40)}`, () => {
      expect(refusal(() => parseConfig(text, P))).toEqual({ code: 'BAD_CONFIG', message });
    });
  }

  it('takes every key, with paths relative to the file and 0 or null for no limit', () => {
    const given = {
      tracker: 'http://t:1',
      dataDir: 'd',
      output: '/o',
      port: 0,
      lan: false,
      lanAddress: '239.1.2.3',
      lanPort: 1,
      lanInterface: '10.0.0.1',
      maxPeers: 1000,
      uploadLimit: '2M',
      logLevel: 'silent',
      json: true
    };
    expect(parseConfig(JSON.stringify(given), P)).toEqual({ ...given, dataDir: '/etc/shoal/d', uploadLimit: 2 * 1024 * 1024 });
    expect(parseConfig('{"tracker":null,"uploadLimit":0}', P)).toEqual({ tracker: null, uploadLimit: null });
    expect(parseConfig('{"tracker":false,"uploadLimit":null}', P)).toEqual({ tracker: null, uploadLimit: null });
    expect(parseConfig('{"uploadLimit":1000}', P)).toEqual({ uploadLimit: 1000 });
    expect(parseConfig('{"uploadLimit":"0"}', P)).toEqual({ uploadLimit: null });
    expect(parseConfig('{}', P)).toEqual({});
  });
});

describe('flag messages', () => {
  const cases: [string[], string][] = [
    [['seed', '--port', '70000'], '--port must be a port number (0-65535): "70000"'],
    [['seed', '--port', 'x'], '--port must be a port number (0-65535): "x"'],
    [['seed', '--lan-port', '0'], '--lan-port must be a port number (1-65535): "0"'],
    [['seed', '--lan-address', 'nope'], '--lan-address must be an IPv4 address: "nope"'],
    [['seed', '--lan-interface', '1.2.3'], '--lan-interface must be an IPv4 address: "1.2.3"'],
    [['seed', '--max-peers', '0'], '--max-peers must be a whole number from 1 to 1000: "0"'],
    [['seed', '--max-peers', '1e3'], '--max-peers must be a whole number from 1 to 1000: "1e3"'],
    [['search', 'q', '--limit', '101'], '--limit must be a whole number from 1 to 100: "101"'],
    [['seed', '--upload-limit', 'fast'], '--upload-limit must be a rate like 500K or 2M: "fast"'],
    [['seed', '--log-level', 'loud'], '--log-level must be debug, info, warn, error or silent: "loud"'],
    [['get', 'x', '--tracker', 'nope'], 'Not a URL: "nope"'],
    [['get', 'x', '--tracker', 'ftp://b'], 'A tracker URL must be http(s) or ws(s): ftp://b'],
    [['get', 'x', '--tracker', ' , '], 'Give a tracker URL.'],
    [['get', 'x', '--tracker', 'http://a', '--no-tracker'], '--tracker and --no-tracker contradict each other.'],
    [['seed', '--lan', '--no-lan'], '--lan and --no-lan contradict each other.']
  ];
  for (const [argv, message] of cases) {
    it(`refuses ${argv.join(' ')}`, () => {
      expect(refusal(() => resolveSettings(parseArgv(argv), null, null))).toEqual({ code: 'BAD_ARGUMENT', message });
    });
  }

  it('checks what the config file gives with the flags\' rules', () => {
    expect(refusal(() => resolveSettings(parseArgv(['seed']), { tracker: 'ftp://x' }, P))).toEqual({ code: 'BAD_ARGUMENT', message: 'A tracker URL must be http(s) or ws(s): ftp://x' });
    const s = resolveSettings(parseArgv(['seed', '--upload-limit', '0', '--max-peers', '7', '--lan-port', '9', '--port', '0', '--lan-interface', '10.1.1.1']), null, null);
    expect(s).toMatchObject({ uploadLimit: null, maxPeers: 7, lanPort: 9, port: 0, portExplicit: true, lanInterface: '10.1.1.1' });
    expect(resolveSettings(parseArgv(['search', 'q', '--limit', '100']), null, null)).toMatchObject({ limit: 100 });
    expect(resolveSettings(parseArgv(['get', 'x', '--upload-limit', '500K']), null, null)).toMatchObject({ uploadLimit: 500 * 1024 });
  });
});
