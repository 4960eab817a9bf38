// SELECT mailbox [(CONDSTORE | QRESYNC (uidvalidity modseq [known-uids]))]
//                                         (RFC 3501 §6.3.1, RFC 7162 §3.1.8, §3.2.5)
// EXAMINE mailbox [...]                   (RFC 3501 §6.3.2: the same, read-only)
//   [* OK [CLOSED]], * FLAGS, * OK [PERMANENTFLAGS], * n EXISTS, * n RECENT, * OK [UNSEEN n],
//   * OK [UIDVALIDITY], * OK [UIDNEXT], * OK [HIGHESTMODSEQ], * OK [MAILBOXID (id)] (RFC 8474 §4.2), [* VANISHED (EARLIER) uids,
//   * n FETCH (UID FLAGS MODSEQ)], then OK [READ-WRITE] | OK [READ-ONLY] | NO
//   With IMAP4rev2 enabled: no RECENT and no [UNSEEN n], and a * LIST (attributes) "/" name.
import { SelectedMailbox } from '../mailbox/selected.ts';
import { inSet, parseSequenceSet, type Range } from '../mailbox/sequence.ts';
import { BadArgument, list, type Token } from '../parser.ts';
import { R } from '../replies.ts';
import { command, type ImapSession, type ParseContext } from '../types.ts';
import { U } from '../untagged.ts';
import { DELIMITER, mailboxName, resolve, wireName } from './args.ts';
import { listAttributes } from './list.ts';
import { LoopSlice } from '../../runtime/loop-slice.ts';

/** `(uidvalidity mod-sequence [known-uids ...])` of RFC 7162 §3.2.5. */
export interface Resync {
  uidValidity: number;
  modseq: number;
  /** The UIDs the client knows of; null for all. */
  known: Range[] | null;
}

export interface SelectArgs {
  name: string;
  /** RFC 7162 §3.1.8 `(CONDSTORE)`: a CONDSTORE-enabling SELECT. */
  condstore: boolean;
  /** RFC 7162 §3.2.5 `(QRESYNC (...))`; run refuses it unless QRESYNC is enabled. */
  qresync: Resync | null;
}

/** The QRESYNC parameters (a `seq-match-data` list after the known UIDs is not used). */
function parseResync(tok: Token | undefined): Resync {
  const items = list(tok, 'QRESYNC parameters');
  const num = (t: Token | undefined) => (t?.t === 'atom' && /^\d{1,20}$/.test(t.v) ? Number(t.v) : NaN);
  const uidValidity = num(items[0]);
  const modseq = num(items[1]);
  if (!(uidValidity > 0) || !(modseq >= 0) || items.length > 4) throw new BadArgument('Invalid QRESYNC parameters');
  let known: Range[] | null = null;
  if (items[2] && items[2].t === 'atom') {
    known = parseSequenceSet(items[2].v);
    if (!known) throw new BadArgument('Invalid known UIDs');
  }
  return { uidValidity, modseq, known };
}

export function parseSelect(args: Token[], ctx: ParseContext): SelectArgs {
  const out: SelectArgs = { name: mailboxName(args[0], ctx), condstore: false, qresync: null };
  if (!args[1]) return out;
  const params = list(args[1], 'select parameters');
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const word = p.t === 'atom' ? p.v.toUpperCase() : '';
    if (word === 'CONDSTORE') out.condstore = true;
    else if (word === 'QRESYNC') out.qresync = parseResync(params[++i]);
    else throw new BadArgument('Unknown select parameter');
  }
  return out;
}

async function open(s: ImapSession, a: SelectArgs, readOnly: boolean) {
  // RFC 7162 §3.2.5: QRESYNC parameters only once the client has enabled QRESYNC
  if (a.qresync && !s.enabled.has('QRESYNC')) throw new BadArgument('QRESYNC is not enabled');
  if (a.condstore) s.enabled.add('CONDSTORE');
  const { name, qresync: resync } = a;
  // RFC 7162 §3.2.11, RFC 9051 §6.3.2: with QRESYNC or IMAP4rev2 the end of the previous
  // selection is announced
  const rev2 = s.enabled.has('IMAP4REV2');
  if (s.selected && (s.enabled.has('QRESYNC') || rev2)) await s.send(U.closed());
  // a failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1)
  s.select(null);
  const found = await resolve(s, name);
  if (!found) return R.noMailbox();
  // a read-only shared folder (IM-2) opens as EXAMINE would
  readOnly = readOnly || !found.writable;
  const sel = await SelectedMailbox.open(s.env.stores.mail, s.env.stores.folders, found.info, readOnly, s.enabled.has('CONDSTORE'), rev2);
  const firstUnseen = sel.messages.findIndex((m) => !m.flags.includes('\\Seen'));
  // IMAP4rev2 (RFC 9051 §6.3.2, Appendix E) drops RECENT and [UNSEEN n] and adds the
  // mailbox's LIST response
  const lines = [
    ...sel.flagLines(),
    U.exists(sel.exists),
    ...(rev2 ? [] : [U.recent(sel.recent)]),
    ...(firstUnseen >= 0 && !rev2 ? [U.unseen(firstUnseen + 1)] : []),
    U.uidValidity(sel.info.uidValidity),
    U.uidNext(sel.info.uidNext),
    U.highestModseq(sel.info.highestModseq),
    U.mailboxId(sel.info.objectId),
  ];
  if (resync && resync.uidValidity === sel.info.uidValidity) {
    const known = (uid: number) => !resync.known || inSet(resync.known, uid, sel.info.uidNext);
    const vanished = (await s.env.stores.folders.vanished(sel.info.id, resync.modseq)).filter(known);
    if (vanished.length) lines.push(U.vanished(vanished, true));
    // in time slices: a client resyncing from an old MODSEQ may be owed a line a message
    const slice = new LoopSlice();
    for (let i = 0; i < sel.messages.length; i++) {
      const m = sel.messages[i];
      if (m.modseq > resync.modseq && known(m.uid)) lines.push(U.flagFetch(i + 1, { uid: m.uid, flags: sel.flagsOf(m), modseq: m.modseq }));
      if (slice.due()) await slice.next();
    }
  }
  await s.send(lines.join(''));
  if (rev2) await s.send(U.list('LIST', await listAttributes(s, name), DELIMITER, wireName(s, name)));
  sel.qresync = s.enabled.has('QRESYNC');
  sel.rev2 = rev2;
  s.select(sel);
  return R.selected(readOnly);
}

export const SELECT = command({
  syntax: 'SELECT mailbox [(CONDSTORE | QRESYNC (...))]',
  states: ['auth', 'selected'],
  args: [1, 2],
  parse: parseSelect,
  run: (s, a) => open(s, a, false),
});

export const EXAMINE = command({
  syntax: 'EXAMINE mailbox [(CONDSTORE | QRESYNC (...))]',
  states: ['auth', 'selected'],
  args: [1, 2],
  parse: parseSelect,
  run: (s, a) => open(s, a, true),
});
