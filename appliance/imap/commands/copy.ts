// COPY sequence-set mailbox               (RFC 3501 §6.4.7, RFC 4315 COPYUID)
//   OK [COPYUID uidvalidity source-uids dest-uids] | NO [TRYCREATE] | NO [OVERQUOTA]
// MOVE sequence-set mailbox               (RFC 6851)
//   * OK [COPYUID ...], * n EXPUNGE ..., then OK
import { compactSet } from '../mailbox/sequence.ts';
import { ok, R } from '../replies.ts';
import type { Command, CommandSpec, ImapSession } from '../types.ts';
import { mailboxArg, resolve, selected, messageSet, rawArgs } from './args.ts';

async function transfer(s: ImapSession, cmd: Command, move: boolean) {
  const sel = selected(s);
  const set = messageSet(s, cmd.args[0], cmd.uid);
  const found = await resolve(s, mailboxArg(s, cmd.args[1]));
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
  if (code) await s.send(`* OK [${code}] Moved\r\n`);
  sel.markExpunged(res.pairs.map((p) => p[0]));
  return R.done(verb);
}

export const COPY: CommandSpec = {
  syntax: 'COPY sequence-set mailbox',
  states: ['selected'],
  args: [2, 2],
  uid: true,
  holdExpunge: true,
  parse: rawArgs,
  run: (s, _args, cmd) => transfer(s, cmd, false),
};

export const MOVE: CommandSpec = {
  syntax: 'MOVE sequence-set mailbox',
  states: ['selected'],
  args: [2, 2],
  uid: true,
  parse: rawArgs,
  run: (s, _args, cmd) => transfer(s, cmd, true),
};
