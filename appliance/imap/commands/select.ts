// SELECT mailbox [(CONDSTORE | QRESYNC (uidvalidity modseq [known-uids]))]
//                                         (RFC 3501 §6.3.1, RFC 7162 §3.1.8, §3.2.5)
// EXAMINE mailbox [...]                   (RFC 3501 §6.3.2: the same, read-only)
//   [* OK [CLOSED]], * FLAGS, * OK [PERMANENTFLAGS], * n EXISTS, * n RECENT, * OK [UNSEEN n],
//   * OK [UIDVALIDITY], * OK [UIDNEXT], * OK [HIGHESTMODSEQ], * OK [MAILBOXID (id)] (RFC 8474 §4.2), [* VANISHED (EARLIER) uids,
//   * n FETCH (UID FLAGS MODSEQ)], then OK [READ-WRITE] | OK [READ-ONLY] | NO
//   With IMAP4rev2 enabled: no RECENT and no [UNSEEN n], and a * LIST (attributes) "/" name.
import { SelectedMailbox } from '../mailbox/selected.ts';
import { compactSet, inSet, parseSequenceSet, type Range } from '../mailbox/sequence.ts';
import { BadArgument, list, type Token } from '../parser.ts';
import { R } from '../replies.ts';
import type { CommandSpec, ImapSession, Command } from '../types.ts';
import { DELIMITER, mailboxArg, resolve, wireName, rawArgs } from './args.ts';
import { listAttributes } from './list.ts';


async function open(s: ImapSession, cmd: Command, readOnly: boolean) {
  const name = mailboxArg(s, cmd.args[0]);
  let resync: Resync | null = null;
  if (cmd.args[1]) {
    const params = list(cmd.args[1], 'select parameters');
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const word = p.t === 'atom' ? p.v.toUpperCase() : '';
      if (word === 'CONDSTORE') s.enabled.add('CONDSTORE');
      else if (word === 'QRESYNC') {
        if (!s.enabled.has('QRESYNC')) throw new BadArgument('QRESYNC is not enabled');
        resync = parseResync(params[++i]);
      } else throw new BadArgument('Unknown select parameter');
    }
  }
  // RFC 7162 §3.2.11, RFC 9051 §6.3.2: with QRESYNC or IMAP4rev2 the end of the previous
  // selection is announced
  const rev2 = s.enabled.has('IMAP4REV2');
  if (s.selected && (s.enabled.has('QRESYNC') || rev2)) await s.send('* OK [CLOSED] Previous mailbox closed\r\n');
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
    ...sel.flagLines().map((l) => l.trimEnd()),
    `* ${sel.exists} EXISTS`,
    ...(rev2 ? [] : [`* ${sel.recent} RECENT`]),
    ...(firstUnseen >= 0 && !rev2 ? [`* OK [UNSEEN ${firstUnseen + 1}] First unseen`] : []),
    `* OK [UIDVALIDITY ${sel.info.uidValidity}] UIDs valid`,
    `* OK [UIDNEXT ${sel.info.uidNext}] Predicted next UID`,
    `* OK [HIGHESTMODSEQ ${sel.info.highestModseq}] Highest`,
    `* OK [MAILBOXID (${sel.info.objectId})] Ok`,
  ];
  if (resync && resync.uidValidity === sel.info.uidValidity) {
    const known = (uid: number) => !resync!.known || inSet(resync!.known, uid, sel.info.uidNext);
    const vanished = (await s.env.stores.folders.vanished(sel.info.id, resync.modseq)).filter(known);
    if (vanished.length) lines.push(`* VANISHED (EARLIER) ${compactSet(vanished)}`);
    sel.messages.forEach((m, i) => {
      if (m.modseq > resync!.modseq && known(m.uid)) lines.push(`* ${i + 1} FETCH (UID ${m.uid} FLAGS (${sel.flagsOf(m).join(' ')}) MODSEQ (${m.modseq}))`);
    });
  }
  await s.send(lines.join('\r\n') + '\r\n');
  if (rev2) await s.send(Buffer.concat([Buffer.from(`* LIST (${await listAttributes(s, name)}) "${DELIMITER}" `), wireName(s, name), Buffer.from('\r\n')]));
  sel.qresync = s.enabled.has('QRESYNC');
  sel.rev2 = rev2;
  s.select(sel);
  return R.selected(readOnly);
}

interface Resync { uidValidity: number; modseq: number; known: Range[] | null }

/** `(uidvalidity mod-sequence [known-uids [(seq-match)]])` of RFC 7162 §3.2.5. */
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

export const SELECT: CommandSpec = {
  syntax: 'SELECT mailbox [(CONDSTORE | QRESYNC (...))]',
  states: ['auth', 'selected'],
  args: [1, 2],
  parse: rawArgs,
  run: (s, _args, cmd) => open(s, cmd, false),
};

export const EXAMINE: CommandSpec = {
  syntax: 'EXAMINE mailbox [(CONDSTORE | QRESYNC (...))]',
  states: ['auth', 'selected'],
  args: [1, 2],
  parse: rawArgs,
  run: (s, _args, cmd) => open(s, cmd, true),
};
