import { readFileSync } from 'node:fs';
import { commandHelp, globalHelp, parseArgv, resolveSettings, type Command } from './args.ts';
import { loadConfig } from './config.ts';
import type { Context } from './context.ts';
import { CliError, exitCodeOf } from './errors.ts';
import { shutdownWebRtc } from './node-webrtc.ts';
import { Output } from './output.ts';

/** Each command's module is loaded only when it runs, so `--help` and `ls` start fast. */
const RUN: Record<Command, (ctx: Context) => Promise<number>> = {
  seed: async (ctx) => (await import('./commands/seed.ts')).runSeed(ctx),
  get: async (ctx) => (await import('./commands/get.ts')).runGet(ctx),
  search: async (ctx) => (await import('./commands/lookup.ts')).runSearch(ctx),
  whohas: async (ctx) => (await import('./commands/lookup.ts')).runWhoHas(ctx),
  ls: async (ctx) => (await import('./commands/ls.ts')).runLs(ctx),
  rm: async (ctx) => (await import('./commands/rm.ts')).runRm(ctx),
  shell: async (ctx) => (await import('./commands/shell.ts')).runShell(ctx)
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit status. */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  let out = new Output(json);
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    if (++interrupts > 1) process.exit(130); // a second Ctrl-C: stop at once
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const raw = parseArgv(argv);
    if (raw.flags.version) {
      out.emit('version', { version: version() }, version());
      return 0;
    }
    if (raw.flags.help || raw.command === null) {
      process.stdout.write(`${raw.command ? commandHelp(raw.command) : globalHelp()}\n`);
      return 0;
    }
    const { config, path } = await loadConfig(typeof raw.flags.config === 'string' ? raw.flags.config : undefined);
    const settings = resolveSettings(raw, config, path);
    out = new Output(settings.json);
    const log = out.logger(settings.logLevel);
    return await RUN[raw.command]({ settings, out, log, signal: controller.signal, cwd: process.cwd() });
  } catch (err) {
    out.fail(err);
    if (!(err instanceof CliError) && process.env.SHOAL_DEBUG) console.error(err);
    return exitCodeOf(err);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const status = await main(process.argv.slice(2));
// libdatachannel's threads (if WebRTC was used) and Socket.IO timers would keep the process up.
shutdownWebRtc();
process.exitCode = status;
setTimeout(() => process.exit(status), 200).unref();
