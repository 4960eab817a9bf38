// COPY sequence-set mailbox               (RFC 3501 §6.4.7, RFC 4315 COPYUID)
//   OK [COPYUID uidvalidity source-uids dest-uids] | NO [TRYCREATE] | NO [OVERQUOTA]
// MOVE sequence-set mailbox               (RFC 6851)
//   * OK [COPYUID ...], * n EXPUNGE ..., then OK
import type { Token } from '../parser.ts';
import { compactSet } from '../mailbox/sequence.ts';
import { ok, R } from '../replies.ts';
import { command, type Command, type ImapSession, type ParseContext } from '../types.ts';
import { U } from '../untagged.ts';
import { mailboxName, messageSetArg, resolve, selected, setRanges, type MessageSet } from './args.ts';

export interface TransferArgs {
  set: MessageSet;
  /** The destination, decoded from the wire (modified UTF-7 or UTF-8). */
  mailbox: string;
}

export function parseTransfer(args: Token[], ctx: ParseContext): TransferArgs {
  return { set: messageSetArg(args[0], ctx), mailbox: mailboxName(args[1], ctx) };
}

async function transfer(s: ImapSession, a: TransferArgs, cmd: Command, move: boolean) {
  const sel = selected(s);
  const set = setRanges(sel, a.set);
  const found = await resolve(s, a.mailbox);
  if (!found) return R.noDestination();
  if (!found.writable) return R.noPermission();
  const dest = found.info;
  if (move && sel.readOnly) return R.readOnly();
  const targets = sel.resolve(set.ranges, set.byUid).filter((t) => !sel.isExpunged(t.msg.uid));
  const verb = `${cmd.uid ? 'UID ' : ''}${move ? 'MOVE' : 'COPY'}`;
  if (!targets.length) return R.done(verb);
  const account = found.owner;
  if (account.quota > 0 && (!move || account.id !== s.account!.id)) {
    const adding = targets.reduce((n, t) => n + t.msg.size, 0);
    if ((await s.env.stores.mail.usage(account.id)) + adding > account.quota) return R.overQuota();
  }
  const uids = targets.map((t) => t.msg.uid);
  const folders = s.env.stores.folders;
  const res = move ? await folders.move(sel.info.id, uids, dest.id) : await folders.copy(sel.info.id, uids, dest.id);
  const code = res.pairs.length
    ? `COPYUID ${res.uidValidity} ${compactSet(res.pairs.map((p) => p[0]))} ${compactSet(res.pairs.map((p) => p[1]))}`
    : undefined;
  if (!move) return ok(`${verb} completed`, code);
  if (code) await s.send(U.ok(code, 'Moved'));
  sel.markExpunged(res.pairs.map((p) => p[0]));
  return R.done(verb);
}

export const COPY = command({
  syntax: 'COPY sequence-set mailbox',
  states: ['selected'],
  args: [2, 2],
  uid: true,
  holdExpunge: true,
  parse: parseTransfer,
  run: (s, a, cmd) => transfer(s, a, cmd, false),
});

export const MOVE = command({
  syntax: 'MOVE sequence-set mailbox',
  states: ['selected'],
  args: [2, 2],
  uid: true,
  parse: parseTransfer,
  run: (s, a, cmd) => transfer(s, a, cmd, true),
});
