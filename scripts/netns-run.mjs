#!/usr/bin/env node
// Runs a command inside a fresh private network namespace, so that WebRTC tests and benchmarks
// can never send a packet off this machine (see shared DESIGN "WebRTC on loopback and in tests").
//
//   node scripts/netns-run.mjs <command> [args...]
//
// Inside the namespace: `lo` up, a veth pair lan0/lan1 (both up) with 10.99.0.1/24 on lan0 and a
// default route via 10.99.0.254 dev lan0. Chromium needs a non-loopback address and a default
// route before it gathers any ICE candidate; traffic between local addresses stays on the
// kernel's loopback path, and lan1 leads nowhere. SHOAL_NETNS=1 is set for the command.
//
// How: this script re-runs itself under `unshare --net` (no --fork: a network namespace needs no
// new process, so unshare execs straight into the inner half). The inner half configures the
// namespace with `ip`, checks it, reports "ready" to the outer half on fd 3, then spawns the
// command. Both halves forward stdio, SIGINT/SIGTERM/SIGHUP and the exit status (a command killed
// by a signal makes this script die of the same signal). Without a terminal, the command runs in
// a process group of its own and signals go to the whole group (so `npx ...` stops entirely).
//
// Fails loudly, never skips: if `unshare` or `ip` is missing, or creating the namespace is not
// permitted, it prints what is wrong and exits with status 125.

import { spawn, spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, writeSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Exit status when the namespace itself could not be made (as `env`/`nice` use 125). */
const EXIT_SETUP_FAILED = 125;
/** Marker argument that selects the inner half. */
const INNER_FLAG = '--shoal-netns-inner';
/** Test network: a private /24 that exists only inside the namespace. */
const NET = {
  ifA: 'lan0',
  ifB: 'lan1',
  address: '10.99.0.1/24',
  gateway: '10.99.0.254'
};
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const PREFIX = 'netns-run:';

function fail(message) {
  process.stderr.write(`${PREFIX} ${message}\n`);
  process.exit(EXIT_SETUP_FAILED);
}

/** Absolute path of an executable found on PATH (plus the sbin dirs, where Debian keeps `ip`). */
function which(name) {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const extra of ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    if (!dirs.includes(extra)) dirs.push(extra);
  }
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Spawns `file args` with inherited stdio (plus `extraStdio`), forwards our termination signals to
 * it, and resolves with how it ended.
 */
function runForwarding(file, args, options = {}) {
  // With options.group (and no terminal), the child leads a process group of its own and signals
  // go to that whole group: wrappers such as `npx` run the real program under `sh -c`, which
  // would not pass a signal on. On a terminal the child stays in the foreground group, so it can
  // read the terminal, and Ctrl-C reaches all of it from the terminal anyway.
  const group = Boolean(options.group) && !process.stdin.isTTY;
  const child = spawn(file, args, {
    stdio: ['inherit', 'inherit', 'inherit', ...(options.extraStdio ?? [])],
    env: options.env ?? process.env,
    detached: group
  });
  const handlers = new Map();
  for (const signal of FORWARDED_SIGNALS) {
    const handler = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        if (group) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // already gone
      }
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  const done = new Promise((resolve) => {
    child.on('error', (error) => resolve({ error, code: null, signal: null }));
    // 'close', not 'exit': it also waits for the extra pipes, so nothing written to them is lost.
    child.on('close', (code, signal) => resolve({ error: null, code, signal }));
  }).finally(() => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  });
  return { child, done };
}

/** Exits the way the child did: same code, or the same signal. */
function exitLike({ code, signal }) {
  if (signal) {
    process.kill(process.pid, signal);
    // If the signal is ignored or handled somewhere, still exit with the shell's convention.
    setTimeout(() => process.exit(128 + (osSignalNumber(signal) ?? 1)), 100).unref();
    return;
  }
  process.exit(code ?? 1);
}

function osSignalNumber(signal) {
  return { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal];
}

// ---------------------------------------------------------------------------------------------
// Inner half: runs inside the new namespace.

function ip(ipPath, args) {
  const result = spawnSync(ipPath, args, { encoding: 'utf8' });
  if (result.error) fail(`could not run ${ipPath} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) {
    fail(
      `\`ip ${args.join(' ')}\` failed (exit ${result.status}): ${result.stderr.trim() || result.stdout.trim()}`
    );
  }
  return result.stdout;
}

function setUpNamespace(ipPath) {
  ip(ipPath, ['link', 'set', 'lo', 'up']);
  ip(ipPath, ['link', 'add', NET.ifA, 'type', 'veth', 'peer', 'name', NET.ifB]);
  ip(ipPath, ['addr', 'add', NET.address, 'dev', NET.ifA]);
  ip(ipPath, ['link', 'set', NET.ifA, 'up']);
  ip(ipPath, ['link', 'set', NET.ifB, 'up']);
  ip(ipPath, ['route', 'add', 'default', 'via', NET.gateway, 'dev', NET.ifA]);

  // Check what we made, so a half-made namespace never runs tests.
  const links = JSON.parse(ip(ipPath, ['-j', 'link', 'show'])).map((l) => l.ifname).sort();
  const expected = ['lo', NET.ifA, NET.ifB].sort();
  if (links.join(',') !== expected.join(',')) {
    fail(`unexpected interfaces in the new namespace: ${links.join(', ')} (expected ${expected.join(', ')})`);
  }
  const routes = JSON.parse(ip(ipPath, ['-j', 'route', 'show']));
  const hasDefault = routes.some(
    (r) => r.dst === 'default' && r.gateway === NET.gateway && r.dev === NET.ifA
  );
  if (!hasDefault) fail(`default route via ${NET.gateway} dev ${NET.ifA} missing after setup`);
}

async function inner(argv) {
  const ipPath = which('ip');
  if (!ipPath) fail('`ip` not found inside the namespace (install iproute2)');
  setUpNamespace(ipPath);

  const [command, ...args] = argv;
  // Tell the outer half that the namespace is ready, then close fd 3 so the command never holds it.
  try {
    writeSync(3, 'ready\n');
    closeSync(3);
  } catch {
    // Run by hand without the outer half: nothing to tell.
  }

  const { done } = runForwarding(command, args, {
    env: { ...process.env, SHOAL_NETNS: '1' },
    group: true
  });
  const result = await done;
  if (result.error) {
    const reason = result.error.code === 'ENOENT' ? 'command not found' : result.error.message;
    process.stderr.write(`${PREFIX} could not start \`${command}\`: ${reason}\n`);
    process.exit(127);
  }
  exitLike(result);
}

// ---------------------------------------------------------------------------------------------
// Outer half: checks the tools, creates the namespace, waits for the inner half.

async function outer(argv) {
  if (argv.length === 0 || argv[0] === '-h' || argv[0] === '--help') {
    process.stderr.write('usage: node scripts/netns-run.mjs <command> [args...]\n');
    process.exit(argv.length === 0 ? 2 : 0);
  }
  if (process.platform !== 'linux') fail(`network namespaces need Linux (this is ${process.platform})`);

  const unsharePath = which('unshare');
  if (!unsharePath) {
    fail('`unshare` not found; install util-linux (apt-get install -y util-linux)');
  }
  if (!which('ip')) fail('`ip` not found; install iproute2 (apt-get install -y iproute2)');

  // As root, a plain network namespace. Otherwise try an unprivileged user namespace as well
  // (root inside it only); if the kernel forbids that too, unshare says so and we fail below.
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const unshareArgs = [...(isRoot ? [] : ['--map-root-user']), '--net', '--'];
  const self = fileURLToPath(import.meta.url);

  const { child, done } = runForwarding(
    unsharePath,
    [...unshareArgs, process.execPath, self, INNER_FLAG, ...argv],
    { extraStdio: ['pipe'] }
  );
  let ready = false;
  const readyPipe = child.stdio[3];
  readyPipe.setEncoding('utf8');
  readyPipe.on('data', (text) => {
    if (text.includes('ready')) ready = true;
  });
  readyPipe.on('error', () => {});

  const result = await done;
  if (result.error) fail(`could not start ${unsharePath}: ${result.error.message}`);
  if (!ready && result.code !== EXIT_SETUP_FAILED) {
    // unshare itself failed (its own message is above), typically "Operation not permitted".
    fail(
      `could not create a private network namespace with \`unshare ${unshareArgs.join(' ')}\` ` +
        `(exit ${result.code ?? result.signal}). It needs root (or CAP_SYS_ADMIN), or unprivileged ` +
        'user namespaces enabled. WebRTC tests refuse to run on the host network.'
    );
  }
  exitLike(result);
}

const argv = process.argv.slice(2);
if (argv[0] === INNER_FLAG) await inner(argv.slice(1));
else await outer(argv);
