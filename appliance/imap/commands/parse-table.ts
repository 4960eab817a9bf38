/**
 * For the parsers' table tests: a command's argument text, as a client would send it after
 * the verb, through the real command parser and then the command's own `parse`.
 */
import { BadArgument, parseCommand } from '../parser.ts';
import type { CommandSpec, ParseContext } from '../types.ts';

const DEFAULT: ParseContext = { uid: false, utf8Names: false };

export function parseArgs<A>(spec: CommandSpec<A>, text: string, ctx: Partial<ParseContext> = {}): A {
  const args = text ? parseCommand(Buffer.from(`T X ${text}`)).args : [];
  return spec.parse(args, { ...DEFAULT, ...ctx });
}

/** The BadArgument message `parse` refuses the text with; null when it parsed. */
export function refusal(spec: CommandSpec<unknown>, text: string, ctx: Partial<ParseContext> = {}): string | null {
  try {
    parseArgs(spec, text, ctx);
    return null;
  } catch (err) {
    if (err instanceof BadArgument) return err.message;
    throw err;
  }
}
