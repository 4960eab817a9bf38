/** Argument shapes shared by command modules: mailbox names, sequence sets, flag lists. */
import type { MailboxInfo } from '../../../core/store/ports.ts';
import { astring, BadArgument, type Token } from '../parser.ts';
import { parseSequenceSet, type Range } from '../mailbox/sequence.ts';
import type { SelectedMailbox } from '../mailbox/selected.ts';
import type { ImapSession, ParseContext } from '../types.ts';
import { isSharedName, resolveMailbox, type Resolved } from '../mailbox/namespace.ts';
import { decodeMailboxName, encodeMailboxName, nstring } from '../wire.ts';
import { utf8Accepted, utf8Mode } from '../utf8-accept.ts';

/** The hierarchy delimiter (RFC 3501 §5.1.1). */
export const DELIMITER = '/';

/**
 * A mailbox argument, decoded from modified UTF-7 (UTF-8 as it stands once IMAP4rev2 or
 * UTF8=ACCEPT is enabled, RFC 9051 §5.1, RFC 6855 §3); INBOX in any case is INBOX (§5.1).
 */
export function mailboxName(tok: Token | undefined, ctx: ParseContext): string {
  return normalizeName(nameFromWire(astring(tok, 'mailbox name'), ctx.utf8Names));
}

/** The arguments of a command that names one mailbox and nothing more (DELETE, SUBSCRIBE, MYRIGHTS, ...). */
export interface MailboxArgs {
  name: string;
}

export const parseMailbox = (args: Token[], ctx: ParseContext): MailboxArgs => ({ name: mailboxName(args[0], ctx) });

/** A name or pattern from the wire: modified UTF-7 for IMAP4rev1, UTF-8 for IMAP4rev2 and UTF8=ACCEPT. */
function nameFromWire(wire: string, utf8Names: boolean): string {
  if (utf8Names) return wire;
  // an "&" that starts no valid modified base64 run (RFC 3501 §5.1.3 wants "&-") is taken as
  // a plain "&", as LIST patterns are: a name like "a&b" is then usable, and goes back out as
  // "a&-b", the form the RFC asks the server to send
  return decodeMailboxName(wire) ?? wire;
}

/**
 * A mailbox name as sent to the client: modified UTF-7 (RFC 3501 §5.1.3), or UTF-8 once
 * IMAP4rev2 or UTF8=ACCEPT is enabled (RFC 9051 §5.1, RFC 6855 §3); with UTF8=ACCEPT a quoted
 * string, with IMAP4rev2 alone a literal as before.
 */
export function wireName(s: ImapSession, name: string): Buffer {
  const v = nstring(utf8Mode(s) ? name : encodeMailboxName(name), utf8Accepted(s));
  // a quoted string is built one char a byte (wire.ts)
  return typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
}

export function normalizeName(name: string): string {
  if (name.toUpperCase() === 'INBOX') return 'INBOX';
  if (name.toUpperCase().startsWith('INBOX/')) return 'INBOX' + name.slice(5);
  return name;
}

/**
 * A name a client may create: no wildcards, printable, and no empty, `.` or `..` level (a path
 * component that means "here" or "up" would alias or escape other mailboxes wherever a name
 * becomes a path: a Maildir export, a shared folder, a backup).
 */
export function validNewName(name: string): boolean {
  return name.length > 0 && name.length <= 512 && !/[*%\x00-\x1f\x7f]/.test(name)
    && !name.split(DELIMITER).some((p) => p === '' || p === '.' || p === '..') && !isSharedName(name);
}

/** A personal or shared (`#Shared/owner/folder`) mailbox by name. */
export async function findMailbox(s: ImapSession, name: string): Promise<MailboxInfo | null> {
  return (await resolveMailbox(s.env.stores, s.account!, name))?.info ?? null;
}

export function resolve(s: ImapSession, name: string): Promise<Resolved | null> {
  return resolveMailbox(s.env.stores, s.account!, name);
}

export function selected(s: ImapSession): SelectedMailbox {
  if (!s.selected) throw new BadArgument('No mailbox selected');
  return s.selected;
}

/**
 * The message set of FETCH/STORE/COPY/MOVE/UID EXPUNGE as parsed: a sequence set (by number,
 * or by UID for the UID form), or `$`, the last saved SEARCH result (RFC 5182 SEARCHRES).
 */
export type MessageSet = { saved: true } | { saved: false; ranges: Range[]; byUid: boolean };

export function messageSetArg(tok: Token | undefined, ctx: ParseContext): MessageSet {
  if (tok?.t === 'atom' && tok.v === '$') return { saved: true };
  return { saved: false, ranges: sequenceSet(tok), byUid: ctx.uid };
}

/** A parsed message set against the selected mailbox: `$` becomes the saved UIDs. */
export function setRanges(sel: SelectedMailbox, set: MessageSet): { ranges: Range[]; byUid: boolean } {
  return set.saved ? { ranges: uidRanges(sel.saved), byUid: true } : set;
}

/** Sorted UIDs as ranges of consecutive runs. */
export function uidRanges(uids: number[]): Range[] {
  const out: Range[] = [];
  for (const u of uids) {
    const last = out[out.length - 1];
    if (last && last[1] + 1 === u) last[1] = u;
    else out.push([u, u]);
  }
  return out;
}

export function sequenceSet(tok: Token | undefined): Range[] {
  const text = tok?.t === 'atom' ? tok.v : '';
  const set = parseSequenceSet(text);
  if (!set) throw new BadArgument('Invalid sequence set');
  return set;
}

const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

/** Flags of STORE/APPEND: system flags by their canonical spelling, keywords as atoms. */
export function flagList(tokens: Token[]): string[] {
  const flat = tokens.length === 1 && tokens[0].t === 'list' ? tokens[0].v : tokens;
  return flat.map((t) => {
    if (t.t !== 'atom') throw new BadArgument('Invalid flag');
    if (t.v.startsWith('\\')) {
      const sys = SYSTEM_FLAGS.find((f) => f.toLowerCase() === t.v.toLowerCase());
      if (!sys) throw new BadArgument(`Invalid system flag ${t.v.slice(0, 20)}`);
      return sys;
    }
    if (!/^[^\s()*%"\\\]{]+$/.test(t.v)) throw new BadArgument('Invalid keyword');
    return t.v;
  });
}

/** The parser of a command without arguments (the dispatcher has checked there are none). */
export const noArgs = (): void => undefined;
