#!/usr/bin/env node
// `npm run bench`: runs Shoal's benchmarks and prints one table; every figure sits beside a
// reference measured in the same run on the same machine, as a ratio.
//
//   node scripts/bench.mjs [--quick] [--only a,b] [--skip a,b] [--list]
//
// Benchmarks are bench/<name>.bench.ts; each runs in its own process (bench/lib/run-one.ts) with
// a time limit, so a crash or a hang costs one row, never the table. WebRTC needs the private
// network namespace (shared DESIGN, "WebRTC on loopback and in tests"): outside it, this script
// builds the site if build/ is missing or older than the sources (the browser benchmarks serve
// the build that was current when they started, so a rebuild elsewhere during a long run cannot
// pull the site's files from under them: server/site-build.ts), raises the open-file limit to
// the hard limit (the tracker load holds thousands of sockets), and re-runs itself through
// scripts/netns-run.mjs. Results: the table on stdout, progress on stderr, and
// bench/results/bench-<full|quick>.json and .md.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** In the order they run, with what they need and a wall-clock limit (minutes) per mode. */
const BENCHES = [
  { name: 'hashing', browser: true, limit: { quick: 1.5, full: 15 } },
  { name: 'tcp-node', browser: false, limit: { quick: 1.5, full: 15 } },
  { name: 'multi-source', browser: false, limit: { quick: 1.5, full: 15 } },
  { name: 'swarm', browser: false, limit: { quick: 3, full: 10 } },
  { name: 'webrtc-browser', browser: true, limit: { quick: 2, full: 40 } },
  { name: 'webrtc-node', browser: true, limit: { quick: 2, full: 30 } },
  { name: 'memory-browser', browser: true, limit: { quick: 1.5, full: 40 } },
  { name: 'tracker-load', browser: false, limit: { quick: 1.5, full: 20 } },
  { name: 'index-search', browser: false, limit: { quick: 4, full: 20 } },
  { name: 'cli-start', browser: false, limit: { quick: 1, full: 3 } }
];

function usage(message) {
  if (message) process.stderr.write(`bench: ${message}\n`);
  process.stderr.write(
    'usage: node scripts/bench.mjs [--quick] [--only a,b] [--skip a,b] [--list]\n' +
      `benchmarks: ${BENCHES.map((b) => b.name).join(', ')}\n`
  );
  process.exit(message ? 2 : 0);
}

function parseArgs(argv) {
  const opts = { quick: false, only: null, skip: new Set(), list: false };
  const names = (v) => {
    const list = (v ?? '').split(',').filter(Boolean);
    for (const n of list) if (!BENCHES.some((b) => b.name === n)) usage(`unknown benchmark ${JSON.stringify(n)}`);
    return list;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--only') opts.only = new Set(names(argv[++i]));
    else if (a.startsWith('--only=')) opts.only = new Set(names(a.slice(7)));
    else if (a === '--skip') for (const n of names(argv[++i])) opts.skip.add(n);
    else if (a.startsWith('--skip=')) for (const n of names(a.slice(7))) opts.skip.add(n);
    else if (a === '--list') opts.list = true;
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${JSON.stringify(a)}`);
  }
  return opts;
}

const log = (line) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// Outside the namespace: build, raise the open-file limit, re-run inside.

function newestMtime(path) {
  let newest = 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function buildIfStale() {
  const handler = join(ROOT, 'build', 'handler.js');
  const sources = Math.max(newestMtime(join(ROOT, 'src')), ...['svelte.config.js', 'vite.config.ts'].map((f) => newestMtime(join(ROOT, f))));
  if (existsSync(handler) && statSync(handler).mtimeMs >= sources) return;
  log(existsSync(handler) ? 'bench: build/ is older than src/: npm run build' : 'bench: no build/: npm run build');
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    log('bench: npm run build failed; the browser benchmarks cannot run');
    process.exit(1);
  }
}

function openFileLimits() {
  const m = /Max open files\s+(\S+)\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m ? { soft: m[1], hard: m[2] } : null;
}

function outer(argv, opts) {
  const selected = BENCHES.filter((b) => (!opts.only || opts.only.has(b.name)) && !opts.skip.has(b.name));
  if (selected.some((b) => b.browser)) buildIfStale();
  const inner = [process.execPath, join(ROOT, 'scripts', 'netns-run.mjs'), process.execPath, fileURLToPath(import.meta.url), ...argv];
  // The tracker load holds one socket per simulated peer: use every descriptor the hard limit allows.
  const limits = openFileLimits();
  const command = limits && limits.soft !== limits.hard && existsSync('/usr/bin/prlimit') ? ['/usr/bin/prlimit', `--nofile=${limits.hard}:${limits.hard}`, ...inner] : inner;
  const child = spawn(command[0], command.slice(1), { cwd: ROOT, stdio: 'inherit' });
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
}

// ---------------------------------------------------------------------------------------------
// Inside: run each benchmark in its own process group with a time limit.

/** Set by SIGINT/SIGTERM: the running benchmark is stopped and no further one starts. */
let interrupted = null;

function runOne(bench, quick) {
  const out = join(tmpdir(), `shoal-bench-${bench.name}-${process.pid}.json`);
  rmSync(out, { force: true });
  const minutes = quick ? bench.limit.quick : bench.limit.full;
  const args = ['--import', 'tsx', join(ROOT, 'bench', 'lib', 'run-one.ts'), bench.name, ...(quick ? ['--quick'] : []), '--out', out];
  const started = Date.now();
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    const kill = (sig) => {
      try {
        process.kill(-child.pid, sig);
      } catch {
        // gone
      }
    };
    const onSignal = (sig) => {
      interrupted = sig;
      kill('SIGTERM');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      log(`bench: ${bench.name} still running after ${minutes} min; stopping it`);
      kill('SIGTERM');
      setTimeout(() => kill('SIGKILL'), 5000);
    }, minutes * 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      kill('SIGKILL'); // whatever the benchmark left behind (a browser, a peer) ends with it
      let rows = null;
      if (existsSync(out)) {
        try {
          rows = JSON.parse(readFileSync(out, 'utf8')).rows;
        } catch {
          rows = null;
        }
        rmSync(out, { force: true });
      }
      if (!rows || timedOut) {
        const why = timedOut ? `timed out after ${minutes} min` : `exited with code ${code} without results`;
        rows = [...(rows ?? []), { bench: bench.name, name: bench.name, shoal: null, reference: null, referenceLabel: '', ratio: null, ratioMeaning: '', notRun: why }];
      }
      resolveRun({ rows, ms: Date.now() - started });
    });
  });
}

function fmtFigure(f) {
  if (!f) return '—';
  const v = f.value;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${f.unit}`;
}

function table(rows) {
  const esc = (s) => String(s).replace(/\|/g, '\\|');
  const lines = ['| Benchmark | Shoal | Reference (same run) | Ratio | Notes |', '| --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    if (r.notRun) {
      lines.push(`| ${esc(r.name)} | not run | ${esc(r.referenceLabel || '—')} | — | not run: ${esc(r.notRun.split('\n')[0])} |`);
      continue;
    }
    const ratio = r.ratio === null || !Number.isFinite(r.ratio) ? '—' : r.ratio.toFixed(2);
    const notes = [r.ratioMeaning, r.note].filter(Boolean).join('; ');
    lines.push(`| ${esc(r.name)} | ${fmtFigure(r.shoal)} | ${esc(`${fmtFigure(r.reference)} (${r.referenceLabel})`)} | ${ratio} | ${esc(notes)} |`);
  }
  return lines.join('\n');
}

function machine() {
  const chromium = spawnSync(process.env.CHROMIUM_PATH || '/usr/bin/chromium', ['--version'], { encoding: 'utf8' });
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    chromium: (chromium.stdout ?? '').trim().split('\n')[0] || 'not found',
    loadAverageAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  };
}

async function inner(opts) {
  const mode = opts.quick ? 'quick' : 'full';
  const selected = BENCHES.filter((b) => (!opts.only || opts.only.has(b.name)) && !opts.skip.has(b.name));
  const started = new Date();
  const info = machine();
  log(`bench: ${mode} run of ${selected.map((b) => b.name).join(', ')} on ${info.cores} cores, ${info.memoryGiB} GiB, load ${info.loadAverageAtStart}`);
  const all = [];
  const timings = {};
  for (const bench of selected) {
    if (interrupted) {
      log(`bench: interrupted by ${interrupted}`);
      process.exit(130);
    }
    log(`\nbench: ${bench.name} …`);
    const { rows, ms } = await runOne(bench, opts.quick);
    timings[bench.name] = Math.round(ms / 1000);
    log(`bench: ${bench.name} done in ${Math.round(ms / 1000)} s`);
    log(table(rows).split('\n').slice(2).join('\n'));
    all.push(...rows);
  }
  if (interrupted) {
    log(`bench: interrupted by ${interrupted}; no results written`);
    process.exit(130);
  }
  const durationS = Math.round((Date.now() - started.getTime()) / 1000);
  const results = join(ROOT, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  const slim = all.map(({ details, ...r }) => r);
  const record = { date: started.toISOString(), mode, durationSeconds: durationS, secondsPerBench: timings, machine: info, rows: all };
  const suffix = opts.only || opts.skip.size ? `${mode}-partial` : mode;
  writeFileSync(join(results, `bench-${suffix}.json`), `${JSON.stringify(record, null, 2)}\n`);
  const md = `Shoal benchmarks, ${mode} run, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${durationS} s; ` +
    `${info.cores} cores (${info.cpu}), ${info.memoryGiB} GiB, Node ${info.node}, ${info.chromium}; load average at start ${info.loadAverageAtStart}\n\n${table(slim)}\n`;
  writeFileSync(join(results, `bench-${suffix}.md`), md);
  process.stdout.write(`\n${md}`);
  log(`\nbench: ${mode} run took ${durationS} s; results in bench/results/bench-${suffix}.json and .md`);
}

const argv = process.argv.slice(2);
const opts = parseArgs(argv);
if (opts.list) {
  for (const b of BENCHES) process.stdout.write(`${b.name}${b.browser ? ' (browser)' : ''}\n`);
  process.exit(0);
}
if (process.env.SHOAL_NETNS === '1') await inner(opts);
else outer(argv, opts);
