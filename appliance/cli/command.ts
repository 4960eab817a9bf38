/**
 * How a CLI command is described and run. Each command group (`domain`, `account`, ...) is one
 * module exporting a CommandGroup; its verbs are a table keyed by the verb, so argument shape
 * (options, number of positionals) and `--help` are checked once here, before any verb runs.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../../core/errors.ts';
import type { Io } from './io.ts';
import { dataDirFrom } from '../environment.ts';

/** Options given before the command (`mailserver --data DIR account list`). */
export interface GlobalOptions {
  data?: string;
  config?: string;
}

export interface CliContext {
  io: Io;
  globals: GlobalOptions;
}

/** Bad command-line shape (unknown option, missing argument): exit 2 with the usage line. */
export class ArgumentError extends UsageError {
  readonly usage: string;
  constructor(message: string, usage: string) {
    super(message);
    this.name = 'ArgumentError';
    this.usage = usage;
  }
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

export interface VerbRun {
  values: Values;
  positionals: string[];
  ctx: CliContext;
  /** The data directory: --data, else the global --data, else $MAILSERVER_DATA, else ./data. */
  dataDir: string;
}

export interface Verb {
  /** The synopsis after `mailserver`, e.g. `account delete USER@DOMAIN`. */
  usage: string;
  summary: string;
  /** Paragraph lines shown by `--help` before the options. */
  notes?: string[];
  /** `[option, explanation]` pairs shown by `--help`. */
  optionHelp?: [string, string][];
  options?: OptionSpec;
  /** [min, max] positional arguments. */
  positionals: [number, number];
  run(args: VerbRun): Promise<number | void>;
}

export interface CommandGroup {
  summary: string;
  /** Every synopsis of the group, for `mailserver --help`. */
  usages(): string[];
  help(): string;
  run(args: string[], ctx: CliContext): Promise<number>;
}

const COMMON_OPTIONS: OptionSpec = {
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const DATA_HELP: [string, string] = ['--data DIR', 'data directory (default: $MAILSERVER_DATA, else ./data)'];

/** Option lines aligned in two columns. */
export function optionLines(pairs: [string, string][]): string[] {
  const width = Math.max(...pairs.map(([o]) => o.length));
  return pairs.map(([o, text]) => `  ${o.padEnd(width)}  ${text}`);
}

export function resolveDataDir(flag: string | undefined, globals: GlobalOptions): string {
  return dataDirFrom(flag ?? globals.data);
}

function verbHelp(verb: Verb): string {
  const notes = verb.notes ? [...verb.notes.map((n) => `  ${n}`), ''] : [];
  const options = optionLines([...(verb.optionHelp ?? []), DATA_HELP, ['-h, --help', 'this help']]);
  return [`usage: mailserver ${verb.usage}`, '', verb.summary, '', ...notes, 'options:', ...options].join('\n');
}

/** Node's parseArgs messages, shortened to what an operator needs. */
function argumentMessage(err: NodeJS.ErrnoException): string {
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const m = /'([^']+)'/.exec(err.message);
    return `unknown option ${m ? m[1] : ''}`.trim();
  }
  return err.message.split('\n')[0];
}

async function runVerb(verb: Verb, args: string[], ctx: CliContext): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...COMMON_OPTIONS, ...verb.options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ArgumentError(argumentMessage(err as NodeJS.ErrnoException), verb.usage);
  }
  const values = parsed.values as Values;
  if (values.help) {
    ctx.io.out(verbHelp(verb));
    return 0;
  }
  const [min, max] = verb.positionals;
  if (parsed.positionals.length < min) throw new ArgumentError('missing argument', verb.usage);
  if (parsed.positionals.length > max) throw new ArgumentError(`unexpected argument ${JSON.stringify(parsed.positionals[max])}`, verb.usage);
  const dataDir = resolveDataDir(values.data as string | undefined, ctx.globals);
  return (await verb.run({ values, positionals: parsed.positionals, ctx, dataDir })) ?? 0;
}

/** A command without verbs (`start`). */
export function defineCommand(name: string, verb: Verb): CommandGroup {
  return {
    summary: verb.summary,
    usages: () => [verb.usage],
    help: () => verbHelp(verb),
    run: (args, ctx) => runVerb(verb, args, ctx),
  };
}

/** A command with verbs (`account add`, `account list`, ...). */
export function defineGroup<V extends string>(name: string, summary: string, verbs: Record<V, Verb>): CommandGroup {
  const table = verbs as Record<string, Verb>;
  const usages = () => Object.values(table).map((v) => v.usage);
  const help = () =>
    [`usage: mailserver ${name} VERB ...`, '', summary, '', ...Object.values(table).map((v) => `  mailserver ${v.usage}\n      ${v.summary}`), '',
      `mailserver ${name} VERB --help shows the options of one verb.`].join('\n');
  return {
    summary,
    usages,
    help,
    async run(args, ctx) {
      const [first, ...rest] = args;
      if (first === undefined) throw new ArgumentError(`${name}: missing verb (${Object.keys(table).join(', ')})`, `${name} VERB ...`);
      if (first === '--help' || first === '-h' || first === 'help') {
        ctx.io.out(help());
        return 0;
      }
      const verb = Object.hasOwn(table, first) ? table[first] : undefined;
      if (!verb) throw new ArgumentError(`${name}: unknown verb ${JSON.stringify(first)} (${Object.keys(table).join(', ')})`, `${name} VERB ...`);
      return runVerb(verb, rest, ctx);
    },
  };
}

export function str(values: Values, key: string): string | undefined {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
}

export function flag(values: Values, key: string): boolean {
  return values[key] === true;
}

/** A pair of opposite switches (`--pop3` / `--no-pop3`): true, false, or undefined when neither. */
export function toggle(values: Values, on: string, off: string): boolean | undefined {
  if (flag(values, on) && flag(values, off)) throw new UsageError(`--${on} and --${off} contradict each other`);
  if (flag(values, on)) return true;
  if (flag(values, off)) return false;
  return undefined;
}
