#!/usr/bin/env node
// `npm test`: type-checks, runs the three vitest projects in order and prints one summary line.
//
//   node scripts/test.mjs [--only typecheck|unit|integration|e2e]...
//
// 0. typecheck    svelte-check over everything tsconfig.json includes: src/ (and its .svelte
//                 files), server/, cli/, tests/, bench/, scripts/*.ts and the Vite and Vitest
//                 configs (svelte.config.js adds the directories outside src/). Each error counts
//                 as one failure; a clean check as one pass.
// 1. unit         npx vitest run --project unit (the import boundaries are one of its tests:
//                 scripts/import-boundary.spec.ts)
//    build        `npm run build`, before the first of integration and e2e: the e2e tests drive
//                 the production build, and tests/integration/site-build.test.ts rebuilds it
//                 under a running server
// 2. integration  npx vitest run --project integration
// 3. e2e          checks Chromium, then `node scripts/netns-run.mjs npx vitest run --project e2e`
//                 so every WebRTC test runs in a private network namespace.
//
// Every step runs even if an earlier one failed, so one run shows everything that is broken.
// Each vitest also writes a JSON report; the totals across the steps end the output as
//   tests: N passed, M failed[, K skipped]
// and the exit status is non-zero if anything failed. A step that fails without a failing test
// (build error, missing Chromium, a test file that does not load, a crashed run) counts as one
// failure, so the summary never reads "0 failed" for a red run. A missing browser or a missing
// network namespace is a failure, never a skip.

import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STEPS = ['typecheck', 'unit', 'integration', 'e2e'];
const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';
/**
 * Wall-clock limit per step, in minutes. Vitest's own timeouts cannot stop a test stuck in a
 * synchronous loop; these keep one hung step from eating CI's whole 90 minutes (their sum stays
 * under it). A step that hits its limit is stopped and counts as a failure.
 */
const STEP_TIMEOUT_MINUTES = { sync: 5, typecheck: 10, unit: 10, integration: 15, build: 10, e2e: 40 };
// SHOAL_TEST_STEP_TIMEOUT_MIN=<minutes> replaces every limit (e.g. for a slow machine).
if (process.env.SHOAL_TEST_STEP_TIMEOUT_MIN) {
  const minutes = Number(process.env.SHOAL_TEST_STEP_TIMEOUT_MIN);
  if (!(minutes > 0)) usage(`SHOAL_TEST_STEP_TIMEOUT_MIN must be a positive number of minutes`);
  for (const step of Object.keys(STEP_TIMEOUT_MINUTES)) STEP_TIMEOUT_MINUTES[step] = minutes;
}
const EXIT_TIMED_OUT = 124;

function usage(message) {
  if (message) process.stderr.write(`test: ${message}\n`);
  process.stderr.write('usage: node scripts/test.mjs [--only typecheck|unit|integration|e2e]...\n');
  process.exit(2);
}

function parseArgs(argv) {
  const only = new Set();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let value;
    if (arg === '--only') value = argv[++i];
    else if (arg.startsWith('--only=')) value = arg.slice('--only='.length);
    else if (arg === '-h' || arg === '--help') usage();
    else usage(`unknown argument ${JSON.stringify(arg)}`);
    for (const v of (value ?? '').split(',')) {
      if (!STEPS.includes(v)) usage(`--only takes one of ${STEPS.join(', ')}, got ${JSON.stringify(v)}`);
      only.add(v);
    }
  }
  return only.size > 0 ? STEPS.filter((p) => only.has(p)) : STEPS;
}

// ---------------------------------------------------------------------------------------------
// Running children

// Without a terminal (CI), each child leads its own process group and a signal goes to the whole
// group: `npx` runs vitest under `sh -c`, which would not pass a signal on, and a stuck vitest
// worker must not outlive the run. On a terminal, children stay in the foreground group, where
// Ctrl-C reaches all of them anyway.
const USE_GROUPS = !process.stdin.isTTY;
let current = null;
let interrupted = null;

function signalChild(child, signal) {
  try {
    if (USE_GROUPS) process.kill(-child.pid, signal);
    else if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  } catch {
    // already gone
  }
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    interrupted = signal;
    if (current) signalChild(current, signal);
  });
}

function log(line = '') {
  process.stdout.write(`${line}\n`);
}

/**
 * Runs a command with inherited stdio from the repo root; resolves with its exit code
 * (EXIT_TIMED_OUT if it ran past `timeoutMinutes` and was stopped).
 */
function run(command, args, timeoutMinutes, onOutput) {
  log(`\n$ ${[command, ...args].join(' ')}`);
  return new Promise((resolveRun) => {
    // With onOutput, stdout is passed through and also handed to it (the type check's counts).
    const stdio = onOutput ? ['inherit', 'pipe', 'inherit'] : 'inherit';
    const child = spawn(command, args, { cwd: ROOT, stdio, detached: USE_GROUPS });
    if (onOutput) {
      child.stdout.on('data', (chunk) => {
        process.stdout.write(chunk);
        onOutput(chunk.toString());
      });
    }
    current = child;
    let timedOut = false;
    let killTimer;
    const timer = setTimeout(() => {
      timedOut = true;
      process.stderr.write(`test: \`${command} ${args.join(' ')}\` still running after ${timeoutMinutes} min; stopping it\n`);
      signalChild(child, 'SIGTERM');
      killTimer = setTimeout(() => signalChild(child, 'SIGKILL'), 10_000);
    }, timeoutMinutes * 60_000);
    child.on('error', (error) => {
      current = null;
      clearTimeout(timer);
      process.stderr.write(`test: could not start ${command}: ${error.message}\n`);
      resolveRun(127);
    });
    child.on('exit', (code, signal) => {
      current = null;
      clearTimeout(timer);
      clearTimeout(killTimer);
      // Whatever the step left running in its group (a stuck worker, a server) ends with it.
      if (USE_GROUPS) signalChild(child, 'SIGKILL');
      if (timedOut) resolveRun(EXIT_TIMED_OUT);
      else resolveRun(code ?? 128 + ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal] ?? 0));
    });
  });
}

function stopIfInterrupted() {
  if (interrupted) {
    process.stderr.write(`test: interrupted by ${interrupted}\n`);
    process.exit(130);
  }
}

// ---------------------------------------------------------------------------------------------
// Reports

/**
 * Counts from a vitest JSON report. A test file that failed to load has no failed test in it, so
 * it counts as one failure of its own.
 */
function readReport(file) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  let brokenFiles = 0;
  for (const suite of report.testResults ?? []) {
    const failedTests = (suite.assertionResults ?? []).filter((t) => t.status === 'failed').length;
    if (suite.status === 'failed' && failedTests === 0) brokenFiles++;
  }
  return {
    passed: report.numPassedTests ?? 0,
    failed: (report.numFailedTests ?? 0) + brokenFiles,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
    total: report.numTotalTests ?? 0,
    files: (report.testResults ?? []).length
  };
}

/** Runs one vitest project (optionally through a wrapper) and returns its counts. */
async function runVitest(project, reportDir, wrapper = []) {
  const reportFile = join(reportDir, `${project}.json`);
  const vitestArgs = [
    'vitest',
    'run',
    '--project',
    project,
    '--passWithNoTests',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${reportFile}`
  ];
  const [command, ...args] = wrapper.length > 0 ? [...wrapper, 'npx', ...vitestArgs] : ['npx', ...vitestArgs];
  const code = await run(command, args, STEP_TIMEOUT_MINUTES[project]);
  stopIfInterrupted();

  let counts = { passed: 0, failed: 0, skipped: 0, total: 0, files: 0 };
  let note = '';
  if (existsSync(reportFile)) {
    try {
      counts = readReport(reportFile);
    } catch (error) {
      note = `unreadable JSON report (${error.message})`;
    }
  } else {
    note = 'no JSON report written';
  }
  if (code === EXIT_TIMED_OUT) {
    counts.failed += 1;
    note = `timed out after ${STEP_TIMEOUT_MINUTES[project]} min${note ? `; ${note}` : ''}`;
  } else if (code !== 0 && counts.failed === 0) {
    counts.failed = 1;
    note = note || `exited with code ${code} without a failed test in its report`;
  }
  if (code === 0 && note) counts.failed += 1; // green exit but no trustworthy report
  if (counts.files === 0 && !note) note = 'no test files found';
  return { counts, note, code };
}

// ---------------------------------------------------------------------------------------------
// Steps

/**
 * svelte-check over the whole tsconfig. Its last line says
 * `svelte-check found E errors and W warnings in F files`; each error is one failure. An exit
 * that is not 0 without that line (a crash, a bad config) is one failure.
 */
async function typecheck() {
  let output = '';
  const code = await run('npx', ['svelte-check', '--tsconfig', './tsconfig.json', '--output', 'human', '--threshold', 'error'], STEP_TIMEOUT_MINUTES.typecheck, (text) => {
    output += text;
  });
  stopIfInterrupted();
  const found = /svelte-check found (\d+) errors?/.exec(output);
  const errors = found ? Number(found[1]) : undefined;
  if (code === EXIT_TIMED_OUT) return { counts: { passed: 0, failed: 1, skipped: 0 }, note: `timed out after ${STEP_TIMEOUT_MINUTES.typecheck} min` };
  if (errors !== undefined && errors > 0) return { counts: { passed: 0, failed: errors, skipped: 0 }, note: `${errors} type error${errors === 1 ? '' : 's'}` };
  if (code !== 0) return { counts: { passed: 0, failed: 1, skipped: 0 }, note: `svelte-check exited ${code}${errors === undefined ? ' without its summary' : ''}` };
  if (errors === undefined) return { counts: { passed: 0, failed: 1, skipped: 0 }, note: 'svelte-check printed no summary' };
  return { counts: { passed: 1, failed: 0, skipped: 0 }, note: '' };
}

function chromiumPath() {
  return process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
}

function chromiumInstalled(path) {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function main() {
  const projects = parseArgs(process.argv.slice(2));
  const reportDir = mkdtempSync(join(tmpdir(), 'shoal-test-'));
  const results = [];

  try {
    // SvelteKit writes .svelte-kit/tsconfig.json, which tsconfig.json extends; without it (fresh
    // clone) vitest cannot transform any .ts file.
    const syncCode = await run('npx', ['svelte-kit', 'sync'], STEP_TIMEOUT_MINUTES.sync);
    stopIfInterrupted();
    if (syncCode !== 0) {
      results.push({ name: 'svelte-kit sync', counts: { passed: 0, failed: 1, skipped: 0 }, note: `exit ${syncCode}` });
    }

    let built = false;
    for (const project of projects) {
      if (project === 'typecheck') {
        log('\n=== typecheck ===');
        const { counts, note } = await typecheck();
        results.push({ name: 'typecheck', counts, note });
        continue;
      }
      if (project !== 'unit' && !built) {
        built = true;
        log('\n=== build ===');
        const buildCode = await run('npm', ['run', 'build'], STEP_TIMEOUT_MINUTES.build);
        stopIfInterrupted();
        if (buildCode !== 0) {
          process.stderr.write('test: `npm run build` failed; tests that need the production build will fail too.\n');
          results.push({ name: 'build', counts: { passed: 0, failed: 1, skipped: 0 }, note: `npm run build exited ${buildCode}` });
        }
      }
      log(`\n=== ${project} ===`);
      if (project !== 'e2e') {
        const { counts, note } = await runVitest(project, reportDir);
        results.push({ name: project, counts, note });
        continue;
      }

      const browser = chromiumPath();
      if (!chromiumInstalled(browser)) {
        process.stderr.write(
          `test: Chromium not found at ${browser}; install Debian's chromium: apt-get install -y chromium, ` +
            'or set CHROMIUM_PATH. The e2e tests cannot run without it (this is a failure, not a skip).\n'
        );
        results.push({ name: 'e2e', counts: { passed: 0, failed: 1, skipped: 0 }, note: 'Chromium missing' });
        continue;
      }

      const { counts, note } = await runVitest('e2e', reportDir, ['node', 'scripts/netns-run.mjs']);
      results.push({ name: 'e2e', counts, note });
    }
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }

  const total = { passed: 0, failed: 0, skipped: 0 };
  log('');
  for (const { name, counts, note } of results) {
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
    // Worded differently from the summary so that only the last line reads as the total.
    log(`  ${name.padEnd(16)} passed ${counts.passed}, failed ${counts.failed}, skipped ${counts.skipped}${note ? ` (${note})` : ''}`);
  }
  const skipped = total.skipped > 0 ? `, ${total.skipped} skipped` : '';
  log(`tests: ${total.passed} passed, ${total.failed} failed${skipped}`);
  process.exit(total.failed > 0 ? 1 : 0);
}

await main();
