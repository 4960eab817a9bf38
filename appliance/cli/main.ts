/**
 * The `mailserver` command: global options, then one command group from the table below.
 *
 *   mailserver [--data DIR] [--config FILE] COMMAND [VERB] [ARGS...]
 *
 * Exit codes: 0 done; 1 refused (bad value, missing domain, invalid config, ...: the message
 * only, never a stack trace); 2 bad command line (unknown command or option, missing argument).
 */
import fs from 'node:fs';
import { ConfigError, UsageError } from '../../core/errors.ts';
import { ArgumentError, optionLines, type CliContext, type CommandGroup, type GlobalOptions } from './command.ts';
import { processIo, type Io } from './io.ts';
type CommandName = 'store' | 'start' | 'domain' | 'account' | 'alias' | 'queue' | 'dkim' | 'effect' | 'autoreply' | 'list' | 'filter' | 'antivirus' | 'status' | 'export' | 'restore' | 'import' | 'config' | 'logs';

// Loaded on demand: each run pays only for its own command's imports (tsx compiles at start-up).
const COMMANDS: Record<CommandName, () => Promise<{ default: CommandGroup }>> = {
  start: () => import('./commands/start.ts'),
  domain: () => import('./commands/domain.ts'),
  account: () => import('./commands/account.ts'),
  alias: () => import('./commands/alias.ts'),
  queue: () => import('./commands/queue.ts'),
  dkim: () => import('./commands/dkim.ts'),
  effect: () => import('./commands/effect.ts'),
  autoreply: () => import('./commands/autoreply.ts'),
  list: () => import('./commands/list.ts'),
  filter: () => import('./commands/filter.ts'),
  antivirus: () => import('./commands/antivirus.ts'),
  store: () => import('./commands/store.ts'),
  config: () => import('./commands/config.ts'),
  export: () => import('./commands/export.ts'),
  restore: () => import('./commands/restore.ts'),
  import: () => import('./commands/import.ts'),
  status: () => import('./commands/status.ts'),
  logs: () => import('./commands/logs.ts'),
};

const load = async (name: CommandName) => (await COMMANDS[name]()).default;

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `mailserver ${pkg.version}`;
}

async function usage(): Promise<string> {
  const groups = await Promise.all((Object.keys(COMMANDS) as CommandName[]).map(load));
  return [
    'usage: mailserver COMMAND [ARGS...] [--data DIR]',
    '',
    'commands:',
    ...groups.flatMap((c) => c.usages().map((u) => `  mailserver ${u}`)),
    '',
    'global options (before or after the command):',
    ...optionLines([
      ['--data DIR', 'data directory (default: $MAILSERVER_DATA, else ./data)'],
      ['--config FILE', 'config file for start (default: $MAILSERVER_CONFIG, else ./mailserver.config.ts)'],
      ['-h, --help', 'this help; mailserver COMMAND --help or mailserver COMMAND VERB --help for one command'],
      ['--version', 'the version of this build'],
    ]),
  ].join('\n');
}

/** Takes the global options that come before the command; returns them and the rest. */
function splitGlobals(argv: string[]): { globals: GlobalOptions; rest: string[]; help: boolean; version: boolean } {
  const globals: GlobalOptions = {};
  let help = false;
  let showVersion = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--(data|config)(?:=(.*))?$/.exec(arg);
    if (m) {
      const value = m[2] ?? argv[++i];
      if (value === undefined) throw new ArgumentError(`--${m[1]} needs a value`, 'COMMAND [ARGS...] [--data DIR]');
      globals[m[1] as keyof GlobalOptions] = value;
    } else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--version' || arg === '-V') showVersion = true;
    else if (arg.startsWith('-')) throw new ArgumentError(`unknown option ${arg}`, 'COMMAND [ARGS...] [--data DIR]');
    else break;
  }
  return { globals, rest: argv.slice(i), help, version: showVersion };
}

function report(err: unknown, io: Io): number {
  if (err instanceof ArgumentError) {
    io.err(`mailserver: ${err.message}`);
    io.err(`usage: mailserver ${err.usage}`);
    return 2;
  }
  if (err instanceof UsageError || err instanceof ConfigError || (err instanceof Error && (err.name === 'UsageError' || err.name === 'ConfigError'))) {
    io.err(`mailserver: ${err.message}`);
    return 1;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  io.err(`mailserver: ${e.message}`);
  // A system call that failed (port in use, permission denied, disk full) is the machine's
  // state, not a bug: the message says it all.
  if ((e as NodeJS.ErrnoException).syscall) return 1;
  // Anything else is a fault of ours: still no stack unless asked for.
  if (process.env.MAILSERVER_DEBUG) io.err(e.stack ?? '');
  else io.err('mailserver: (an internal error; set MAILSERVER_DEBUG=1 to see where)');
  return 1;
}

/** Runs one command line (without `node` and the script); resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  try {
    const { globals, rest, help, version: showVersion } = splitGlobals(argv);
    if (showVersion) {
      io.out(version());
      return 0;
    }
    const [name, ...args] = rest;
    if (name === undefined || name === 'help') {
      const topic = args[0];
      if (name === 'help' && topic !== undefined && Object.hasOwn(COMMANDS, topic)) {
        io.out((await load(topic as CommandName)).help());
        return 0;
      }
      if (help || name === 'help') {
        io.out(await usage());
        return 0;
      }
      io.err(await usage());
      return 2;
    }
    if (!Object.hasOwn(COMMANDS, name)) {
      io.err(`mailserver: unknown command ${JSON.stringify(name)}`);
      io.err(await usage());
      return 2;
    }
    const command = await load(name as CommandName);
    if (help) {
      io.out(command.help());
      return 0;
    }
    const ctx: CliContext = { io, globals };
    return await command.run(args, ctx);
  } catch (err) {
    return report(err, io);
  }
}
