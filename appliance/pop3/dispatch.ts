/**
 * Checks a command once, before its handler runs (DESIGN.md convention 3): line length,
 * the verb, the unknown-command limit, the state, TLS requirements and the argument shape.
 */
import { COMMANDS, isVerb } from './commands/index.ts';
import type { LineEvent } from './line-reader.ts';
import { R } from './replies.ts';
import type { ArgKind, CommandSpec, Pop3Session } from './types.ts';

/** Counters of misbehaviour, kept by the session. */
export interface AbuseCounters {
  overlongLines: number;
  unknownCommands: number;
}

const SHAPES: Record<Exclude<ArgKind, 'rest'>, RegExp> = {
  msg: /^\d{1,10}$/,
  count: /^\d{1,10}$/,
  word: /^\S+$/,
  digest: /^[0-9A-Fa-f]{32}$/,
};

/** The arguments of a command line, or null when they do not fit the spec. */
export function parseArgs(spec: CommandSpec, rest: string): string[] | null {
  const required = spec.args.length - (spec.optional ?? 0);
  if (spec.args[0] === 'rest') {
    if (rest.length) return [rest];
    return required === 0 ? [] : null;
  }
  const words = rest.split(' ').filter((w) => w.length > 0);
  if (words.length < required || words.length > spec.args.length) return null;
  return words.every((w, i) => SHAPES[spec.args[i] as Exclude<ArgKind, 'rest'>].test(w)) ? words : null;
}

export async function dispatch(s: Pop3Session, counters: AbuseCounters, ev: LineEvent): Promise<void> {
  const { limits } = s.env;
  if (ev.kind === 'overlong') {
    counters.overlongLines++;
    s.conn.log.warn({ octets: ev.octets, count: counters.overlongLines }, 'pop3 line too long');
    if (counters.overlongLines >= limits.maxOverlongLines) return s.end(R.lineTooLongClosing());
    return s.write(R.lineTooLong());
  }
  const space = ev.line.indexOf(' ');
  const verb = (space === -1 ? ev.line : ev.line.slice(0, space)).toUpperCase();
  const rest = space === -1 ? '' : ev.line.slice(space + 1);
  if (!isVerb(verb)) {
    counters.unknownCommands++;
    s.conn.log.debug({ verb: verb.slice(0, 16), count: counters.unknownCommands }, 'pop3 unknown command');
    if (counters.unknownCommands >= limits.maxUnknownCommands) return s.end(R.tooManyUnknown());
    return s.write(R.unknownCommand());
  }
  const spec = COMMANDS[verb];
  if (!spec.states.includes(s.state)) return s.write(R.wrongState(verb, s.state));
  if (spec.insecureOnly && s.conn.secure) return s.write(R.alreadySecure());
  if (spec.plaintextAuth && !s.plaintextAuthAllowed()) return s.write(R.plaintextDisallowed());
  const args = parseArgs(spec, rest);
  if (!args) return s.write(R.syntax(spec.syntax));
  await spec.run(s, args);
}
