// APPEND mailbox [(flags)] [date-time] literal|literal8   (RFC 3501 §6.3.11, RFC 4315 APPENDUID, RFC 7889,
//                                                          RFC 3516 literal8 `~{n}`)
// APPEND mailbox [(flags)] [date-time] UTF8 (literal8)     (RFC 6855 §4, after ENABLE UTF8=ACCEPT)
//   OK [APPENDUID uidvalidity uid] | NO [TRYCREATE] | NO [TOOBIG] | NO [OVERQUOTA]
import { BadArgument, type Token } from '../parser.ts';
import { ok, R } from '../replies.ts';
import { command, type ParseContext } from '../types.ts';
import { parseDateTime } from '../wire.ts';
import { flagList, mailboxName, resolve } from './args.ts';
import { isDiskFull } from '../../store/disk-space.ts';
import { utf8Accepted } from '../utf8-accept.ts';

export interface AppendArgs {
  name: string;
  flags: string[];
  /** The INTERNALDATE asked for; null for the time of arrival. */
  date: Date | null;
  /**
   * The message as sent: a view of the command buffer, or empty when it was spooled to disk
   * as it arrived (then it is the command's last spooled literal).
   */
  message: Buffer;
  /** Sent as a literal8 `~{n}`, which may carry NULs (RFC 3516 §4.2). */
  binary: boolean;
  /** Sent as RFC 6855 §4 `UTF8 (~{n})`: run refuses it unless UTF8=ACCEPT is enabled. */
  utf8: boolean;
}

/**
 * RFC 6855 §4 `append-data =/ "UTF8" SP "(" literal8 ")"`: the message of `UTF8 (~{n}...)`, with
 * the `UTF8` atom taken off `rest`; null when the APPEND has the plain literal form.
 */
function utf8Data(rest: Token[]): Token | null {
  const last = rest[rest.length - 1];
  const before = rest[rest.length - 2];
  if (last?.t !== 'list' || before?.t !== 'atom' || before.v.toUpperCase() !== 'UTF8') return null;
  rest.splice(-2, 2);
  if (last.v.length !== 1 || last.v[0].t !== 'string' || !last.v[0].binary) throw new BadArgument('Expected UTF8 (~{n} message)');
  return last.v[0];
}

const NUL_NEEDS_LITERAL8 = 'A message with NULs needs a literal8 (~{n})';

export function parseAppend(args: Token[], ctx: ParseContext): AppendArgs {
  const name = mailboxName(args[0], ctx);
  const rest = args.slice(1);
  const utf8 = utf8Data(rest);
  const message = utf8 ?? rest.pop()!;
  if (message?.t !== 'string' || !message.literal) throw new BadArgument('Expected the message as a literal');
  // RFC 3516 §4.4, RFC 9051 §4.3: NULs travel only in a literal8 (`~{n}`); a spooled message
  // (empty here) is checked by run
  if (!message.binary && message.v.includes(0)) throw new BadArgument(NUL_NEEDS_LITERAL8);
  let flags: string[] = [];
  let date: Date | null = null;
  for (const t of rest) {
    if (t.t === 'list') flags = flagList([t]);
    else if (t.t === 'string') {
      date = parseDateTime(t.v.toString('latin1'));
      if (!date) throw new BadArgument(R.badDate().text);
    } else throw new BadArgument('Invalid APPEND argument');
  }
  return { name, flags, date, message: message.v, binary: !!message.binary, utf8: !!utf8 };
}

export const APPEND = command({
  syntax: 'APPEND mailbox [(flags)] [date-time] literal',
  states: ['auth', 'selected'],
  args: [2, 5],
  // an APPEND to the selected mailbox is taken into the view below
  readsView: true,
  parse: parseAppend,
  async run(s, a, cmd) {
    if (a.utf8 && !utf8Accepted(s)) return R.utf8AppendNotEnabled();
    // a large message was spooled to disk as it arrived: it stands here as an empty literal
    const spooled = !a.message.length && cmd.spooled?.length ? cmd.spooled[cmd.spooled.length - 1] : null;
    if (!a.binary && spooled?.nul) throw new BadArgument(NUL_NEEDS_LITERAL8);
    const size = spooled ? spooled.size : a.message.length;
    if (size > s.env.config.maxMessageSize) return R.tooBig();
    const found = await resolve(s, a.name);
    if (!found) return R.noDestination();
    if (!found.writable) return R.noPermission();
    const box = found.info;
    const account = found.owner;
    if (account.quota > 0 && (await s.env.stores.mail.usage(account.id)) + size > account.quota) return R.overQuota();
    if (s.env.disk && (await s.env.disk.short()) !== null) return R.diskFull();
    let res;
    try {
      // the literal is a view of the command buffer: copy it so the stored blob owns its bytes; a
      // spooled one is copied from its spool file by the store, in pieces
      // to the selected mailbox, the \Recent claim goes with the append (one commit, not two)
      const claimRecent = s.selected?.info.id === box.id && s.selected.claimsRecent;
      res = await s.env.stores.folders.append(box.id, spooled ? await spooled.content : Buffer.from(a.message), a.flags, a.date ?? new Date(), { claimRecent });
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      s.conn.log.warn({ err }, 'imap APPEND not stored: disk full');
      return R.diskFull();
    }
    // RFC 3501 §6.3.11: appended to the selected mailbox, it is announced (EXISTS) at once
    const sel = s.selected;
    if (sel?.info.id === box.id && !(res.message && (await sel.applyOwnAppend(res.message, res.recent)))) await s.refreshSelected();
    return ok('APPEND completed', `APPENDUID ${res.uidValidity} ${res.uid}`);
  },
});
