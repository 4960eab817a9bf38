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
 *
 * The process is the supervisor of the node's workers (appliance/workers/supervisor.ts): it
 * forks them with the same command line, and each of them, finding itself a cluster worker,
 * runs the appliance (workerMain). The supervisor prints the stopping/stopped lines, the lead
 * worker the listener lines.
 */
import path from 'node:path';
import fs from 'node:fs';
import cluster from 'node:cluster';
import { createLogger } from '../../../core/log.ts';
import { workerContextFromEnv, type WorkerContext } from '../../workers/worker-context.ts';
import { workerCount } from '../../workers/count.ts';
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

/** The first SIGTERM or SIGINT; a second one ends the process at once (after `hard`). */
function waitForSignal(io: Io, signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'], hard: () => void = () => {}): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        io.err(`mailserver: ${signal} again, exiting without a clean close`);
        hard();
        process.exit(1);
      }
      stopping = true;
      resolve(signal);
    };
    for (const s of signals) process.on(s, onSignal);
  });
}

/** The supervisor: forks the workers, restarts them, stops them on SIGTERM/SIGINT. */
async function supervise(io: Io, dataDir: string): Promise<number> {
  const { Supervisor } = await import('../../workers/supervisor.ts');
  const dir = path.resolve(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const supervisor = new Supervisor({ dataDir: dir, log: createLogger({}).child({ service: 'supervisor' }) });
  const signal = waitForSignal(io, ['SIGTERM', 'SIGINT'], () => supervisor.kill());
  const onHangup = () => supervisor.signalLead('SIGHUP');
  process.on('SIGHUP', onHangup);
  const started = await Promise.race([supervisor.start(), signal.then(() => true)]);
  if (!started) return 1;
  io.err(`mailserver: ${await signal}, stopping`);
  process.off('SIGHUP', onHangup);
  await supervisor.stop();
  io.err('mailserver: stopped');
  return 0;
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
    const worker = workerContextFromEnv();
    if (!worker && cluster.isPrimary) return supervise(ctx.io, dataDir);
    if (!worker) throw new UsageError('a cluster worker started without its worker number');
    return workerMain(ctx.io, str(values, 'config') ?? ctx.globals.config, dataDir, worker);
  },
});

/** One worker: runs the appliance until the supervisor's SIGTERM. */
async function workerMain(io: Io, configFile: string | undefined, dataDir: string, worker: WorkerContext): Promise<number> {
  // loaded here, not at the top: the other commands must not need the whole appliance
  let appliance: typeof import('../../start.ts');
  try {
    appliance = await import('../../start.ts');
  } catch (err) {
    throw new UsageError(`cannot load the appliance: ${(err as Error).message.split('\n')[0]}`);
  }
  let app: Awaited<ReturnType<typeof appliance.startAppliance>>;
  try {
    app = await appliance.startAppliance({ configFile, dataDir, configRepository: true, worker });
  } catch (err) {
    // listeners already bound before the failure would keep the process alive
    setTimeout(() => process.exit(1), 1000).unref();
    throw err;
  }
  if (worker.lead) {
    for (const l of app.smtp.listeners) io.out(listenerLine(l.submission ? 'submission' : 'smtp', l));
    for (const l of app.pop3.listeners) io.out(listenerLine('pop3', l));
    for (const l of app.imap.listeners) io.out(listenerLine('imap', l));
    for (const l of app.http.listeners) io.out(listenerLine('http', l));
  }
  worker.bus.send({ t: 'ready', configFile: app.configFile, workers: workerCount(app.config.node.workers) });
  let reloading = Promise.resolve();
  const onHangup = () => {
    reloading = reloading.then(() => reload(io, app, configFile));
  };
  // SIGINT (Ctrl-C reaches the whole process group) and SIGHUP are the supervisor's to act on
  process.on('SIGINT', () => {});
  if (worker.lead) process.on('SIGHUP', onHangup);
  else process.on('SIGHUP', () => {});
  await waitForSignal(io, ['SIGTERM']);
  process.off('SIGHUP', onHangup);
  const stuck = setTimeout(() => {
    io.err(`mailserver: worker ${worker.id} not closed after ${CLOSE_GRACE_MS / 1000} s, exiting anyway`);
    process.exit(1);
  }, CLOSE_GRACE_MS);
  stuck.unref();
  await app.close();
  clearTimeout(stuck);
  worker.bus.close();
  // a handle some part forgot to close must not keep a stopped appliance alive
  setTimeout(() => process.exit(0), 1000).unref();
  return 0;
}
