/**
 * mailserver start [--config FILE] [--data DIR]
 *
 * Runs the appliance in the foreground until SIGTERM or SIGINT, then closes the listeners and the
 * store and exits 0. Prints one line per listener (`smtp 127.0.0.1:2525`,
 * `smtps 127.0.0.1:2465 (implicit TLS)`, `pop3 ...`, `imap ...`, `http 127.0.0.1:8025`, ...).
 *
 * SIGHUP re-loads the config the appliance runs from (the running commit's checkout of the config
 * repository) with the files it names (TLS certificate and key, effect.dat, gateway table ...)
 * and applies it live (appliance/runtime): e.g. a renewed certificate is served to new sessions,
 * sessions in progress finish on theirs; a config that does not come up is refused and the
 * appliance goes on with the previous one. The outcome is printed to stderr. Config changes
 * themselves go through the repository (git push, `mailserver config rollback`).
 */
import path from 'node:path';
import { loadConfig } from '../../../core/config/load.ts';
import { UsageError } from '../../../core/errors.ts';
import type { Appliance } from '../../start.ts';
import { defineCommand, str } from '../command.ts';
import type { Io } from '../io.ts';
import { configFileFrom } from '../../environment.ts';

interface Listener { host: string; port: number; implicitTls: boolean }

/** Time allowed for a clean close before the process exits anyway. */
const CLOSE_GRACE_MS = 10_000;

function listenerLine(protocol: string, l: Listener): string {
  const host = l.host.includes(':') ? `[${l.host}]` : l.host;
  return l.implicitTls ? `${protocol}s ${host}:${l.port} (implicit TLS)` : `${protocol} ${host}:${l.port}`;
}

function waitForSignal(io: Io): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        io.err(`mailserver: ${signal} again, exiting without a clean close`);
        process.exit(1);
      }
      stopping = true;
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** SIGHUP: load the config file again and apply it; every outcome is one or more stderr lines. */
async function reload(io: Io, app: Appliance, configFile: string | undefined): Promise<void> {
  let loaded;
  try {
    loaded = await loadConfig(configFileFrom(app.configFile ?? configFile));
  } catch (err) {
    io.err(`mailserver: SIGHUP: config not applied, still serving the previous one: ${(err as Error).message}`);
    return;
  }
  const r = await app
    .apply(loaded.config, { configDir: loaded.file ? path.dirname(loaded.file) : undefined, label: 'SIGHUP' })
    .catch((err: Error) => ({ ok: false as const, error: err.message, problems: undefined }));
  if (!r.ok) {
    io.err(`mailserver: SIGHUP: config not applied, still serving the previous one: ${r.error}`);
    for (const p of r.problems ?? []) io.err(`  ${p.path || '(root)'}: ${p.message}`);
    return;
  }
  io.err(`mailserver: SIGHUP: config applied (generation ${r.generation})${r.summary.length ? '' : ', nothing changed'}`);
  for (const line of r.summary) io.err(`  ${line}`);
}

export default defineCommand('start', {
  usage: 'start [--config FILE] [--data DIR]',
  summary: 'runs the appliance in the foreground; SIGTERM or SIGINT (Ctrl-C) stops it cleanly',
  optionHelp: [['--config FILE', 'the config (default: $MAILSERVER_CONFIG, else ./mailserver.config.ts, else built-in defaults)']],
  options: { config: { type: 'string' } },
  positionals: [0, 0],
  async run({ values, ctx, dataDir }) {
    const configFile = str(values, 'config') ?? ctx.globals.config;
    // loaded here, not at the top: the other commands must not need the whole appliance
    let appliance: typeof import('../../start.ts');
    try {
      appliance = await import('../../start.ts');
    } catch (err) {
      throw new UsageError(`cannot load the appliance: ${(err as Error).message.split('\n')[0]}`);
    }
    let app: Awaited<ReturnType<typeof appliance.startAppliance>>;
    try {
      app = await appliance.startAppliance({ configFile, dataDir, configRepository: true });
    } catch (err) {
      // listeners already bound before the failure would keep the process alive
      setTimeout(() => process.exit(1), 1000).unref();
      throw err;
    }
    for (const l of app.smtp.listeners) ctx.io.out(listenerLine('smtp', l));
    for (const l of app.pop3.listeners) ctx.io.out(listenerLine('pop3', l));
    for (const l of app.imap.listeners) ctx.io.out(listenerLine('imap', l));
    for (const l of app.http.listeners) ctx.io.out(listenerLine('http', l));
    let reloading = Promise.resolve();
    const onHangup = () => {
      reloading = reloading.then(() => reload(ctx.io, app, configFile));
    };
    process.on('SIGHUP', onHangup);
    const signal = await waitForSignal(ctx.io);
    process.off('SIGHUP', onHangup);
    ctx.io.err(`mailserver: ${signal}, stopping`);
    const stuck = setTimeout(() => {
      ctx.io.err(`mailserver: not closed after ${CLOSE_GRACE_MS / 1000} s, exiting anyway`);
      process.exit(1);
    }, CLOSE_GRACE_MS);
    stuck.unref();
    await app.close();
    clearTimeout(stuck);
    ctx.io.err('mailserver: stopped');
    // a handle some part forgot to close must not keep a stopped appliance alive
    setTimeout(() => process.exit(0), 1000).unref();
    return 0;
  },
});
