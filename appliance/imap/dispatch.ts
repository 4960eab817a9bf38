/**
 * Checks a command once, before its handler runs (DESIGN.md convention 3): framing errors,
 * the tag, the verb (with the UID prefix), the state, TLS and the argument count. After the
 * handler, pending mailbox updates go out before the tagged completion (RFC 3501 §7).
 */
import { UsageError } from '../../core/errors.ts';
import { COMMANDS, isVerb } from './commands/index.ts';
import { BadArgument, parseCommand, ParseError } from './parser.ts';
import type { ReaderEvent } from './reader.ts';
import { bad, R, tagged } from './replies.ts';
import type { Command, Completion, ImapSession } from './types.ts';
import { U } from './untagged.ts';
import { utf8Mode } from './utf8-accept.ts';

export interface Counters {
  badCommands: number;
}

async function badCommand(s: ImapSession & Counters, line: string): Promise<void> {
  s.badCommands++;
  if (s.badCommands >= s.env.limits.maxBadCommands) return s.end(R.tooManyBad());
  await s.send(line);
}

export async function dispatch(s: ImapSession & Counters, ev: ReaderEvent): Promise<void> {
  if (ev.kind === 'fatal') return s.end(ev.reason === 'line' ? R.lineTooLong() : R.literalTooLong());
  if (ev.kind === 'refused') return void (await s.send(R.literalRefused(ev.tag)));
  let parsed;
  try {
    parsed = parseCommand(ev.data);
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    return badCommand(s, err.tag ? tagged(err.tag, bad(err.message)) : R.untaggedBad(err.message));
  }
  const cmd: Command = { tag: parsed.tag, verb: parsed.verb, uid: false, args: parsed.args, spooled: ev.spooled };
  if (cmd.verb === 'UID') {
    const sub = cmd.args[0];
    cmd.verb = sub?.t === 'atom' ? sub.v.toUpperCase() : '';
    cmd.args = cmd.args.slice(1);
    cmd.uid = true;
    if (!isVerb(cmd.verb) || !COMMANDS[cmd.verb].uid) return badCommand(s, tagged(cmd.tag, bad('Unknown UID command')));
  }
  if (!isVerb(cmd.verb)) return badCommand(s, tagged(cmd.tag, R.unknownCommand()));
  const spec = COMMANDS[cmd.verb];
  let result: Completion | null;
  if (!spec.states.includes(s.state)) result = R.wrongState(cmd.verb);
  else if (spec.insecureOnly && s.conn.secure) result = R.alreadySecure();
  else if (cmd.args.length < spec.args[0] || cmd.args.length > spec.args[1]) result = R.syntax(spec.syntax);
  else {
    try {
      const args = spec.parse(cmd.args, { uid: cmd.uid, utf8Names: utf8Mode(s) });
      // the handler works on a fresh view; what changed is announced after it (below), except
      // new keywords: their * FLAGS goes first, before any FETCH of the command shows one
      // (RFC 3501 §7.2.6)
      // SELECT and EXAMINE replace the view and read the mailbox whole: refreshing the old view
      // first would claim new mail as \Recent for a view about to be dropped, and the new view
      // of the same mailbox would then see it as not recent (RFC 3501 §2.3.2). LOGOUT ends the
      // session with BYE: there is nothing to announce to (§6.1.3)
      if (s.selected && cmd.verb !== 'SELECT' && cmd.verb !== 'EXAMINE' && cmd.verb !== 'LOGOUT') {
        await s.refreshSelected();
        const flags = s.selected.newFlagLines();
        if (flags.length) await s.send(flags.join(''));
      }
      result = await spec.run(s, args, cmd);
    } catch (err) {
      if (err instanceof BadArgument) result = bad(err.message);
      else if (err instanceof UsageError) result = { status: 'NO', text: err.message };
      else {
        s.conn.log.error({ err, verb: cmd.verb }, 'imap command failed');
        result = R.internal();
      }
    }
  }
  // spooled literals (APPEND) are gone before the client hears the command is done
  for (const lit of cmd.spooled ?? []) await lit.dispose();
  if (!result || s.closed) return;
  if (result.status === 'BAD') s.badCommands++;
  if (s.selected && result.status !== 'BAD') await s.flushUpdates(!(spec.holdExpunge && !cmd.uid), spec.readsView);
  if (s.selected && !s.selected.condstore && s.enabled.has('CONDSTORE') && !s.closed) {
    // RFC 7162 §3.1: the first CONDSTORE-enabling command with a mailbox selected (FETCH or
    // SEARCH MODSEQ, ENABLE) announces its HIGHESTMODSEQ; from then on FETCH carries MODSEQ
    s.selected.condstore = true;
    await s.send(U.highestModseq(s.selected.info.highestModseq));
  }
  await s.send(tagged(cmd.tag, result));
}
