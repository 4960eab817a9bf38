/**
 * ML-2 a post to a list: who may post, the counter and subject tag, the list headers and
 * Reply-To, the archive, and the copies to the members (ML-5 split) as outbound items.
 */
import type { Connection, Transaction } from '../../core/session.ts';
import type { ListMember, ListStore, OutboundItem } from '../../core/store/ports.ts';
import { splitMembers, tagSubject } from '../../policies/list-commands.ts';
import { addressOf, decodedHeader, encodeValue, header, rewrite } from './headers.ts';
import { verpAddress, type ListAt } from './lists.ts';
import { TEXT } from './replies.ts';
import { listAddon } from './addons.ts';
import { withOneClick } from './one-click.ts';

/** Fields a list replaces: the list headers of another hop, trace of the original delivery. */
const REPLACED = ['List-Id', 'List-Post', 'List-Help', 'List-Subscribe', 'List-Unsubscribe', 'List-Unsubscribe-Post', 'List-Archive',
  'List-Owner', 'Precedence', 'X-ML-Name', 'X-Mail-Count', 'Return-Path', 'Delivered-To'];

export const listId = (l: ListAt) => `<${l.def.local}.${l.domain}>`;

/** RFC 3834 / list traffic that a list must neither distribute nor answer. */
export function isAutomatic(tx: Transaction, message: Buffer): string | null {
  if (!tx.mailFrom.address) return 'null sender (a bounce)';
  const auto = header(message, 'Auto-Submitted');
  if (auto && !/^no\b/i.test(auto)) return `Auto-Submitted: ${auto}`;
  const prec = header(message, 'Precedence');
  if (prec && /^(bulk|junk|list)\b/i.test(prec)) return `Precedence: ${prec}`;
  return null;
}

/** The session a post came in on (its login, its list post password); none for queued mail. */
export type Poster = Pick<Connection, 'listPoster' | 'user'> | undefined;

/**
 * Who the poster is: the envelope sender (MAIL FROM) or the account the client authenticated
 * as — never the From: field, which anyone can write (a post whose From: names a member but
 * whose envelope sender is a stranger is a stranger's post). The post password (SMTP AUTH as
 * the list) lets anyone post. Known at RCPT time, so a refusal can be a 550 there.
 * Returns why the sender may not post, or null.
 */
export async function whyNotPoster(store: ListStore, def: ListAt["def"], conn: Poster, sender: string): Promise<string | null> {
  if (def.posters === 'anyone' || conn?.listPoster === def.key) return null;
  const who = [sender, conn?.user?.address].filter((a): a is string => !!a && a.includes('@'));
  if (def.posters === 'admin') {
    return def.admin && who.some((a) => a.toLowerCase() === def.admin.toLowerCase()) ? null : TEXT.notAllowed.admin;
  }
  for (const a of who) if (await store.isMember(def.key, a)) return null;
  return TEXT.notAllowed.members;
}

export type PostResult =
  | { kind: 'dropped'; why: string }
  | { kind: 'refused'; why: string }
  | { kind: 'posted'; n: number; outbound: OutboundItem[] };

/** `oneClickUrl` gives a member's RFC 8058 unsubscribe URL (undefined: none), used on per-member copies. */
export async function post(store: ListStore, list: ListAt, conn: Poster, tx: Transaction, message: Buffer,
  oneClickUrl?: (list: ListAt, member: ListMember) => string | undefined): Promise<PostResult> {
  const def = list.def;
  const auto = isAutomatic(tx, message);
  if (auto) return { kind: 'dropped', why: auto };
  if ((header(message, 'List-Id') ?? '').toLowerCase().includes(listId(list).toLowerCase())) return { kind: 'dropped', why: 'loop: the post carries this list\'s List-Id' };
  const sender = tx.mailFrom.address;
  const from = addressOf(header(message, 'From'));
  const refused = await whyNotPoster(store, def, conn, sender);
  if (refused) return { kind: 'refused', why: refused };
  const n = await store.nextCounter(def.key, def.counter);
  const subject = decodedHeader(message, 'Subject');
  const tagged = def.subjectTag ? tagSubject(subject, def.subjectTag, n) : subject;
  const add: { name: string; value: string }[] = [];
  if (def.subjectTag) add.push({ name: 'Subject', value: encodeValue(tagged) });
  if (def.replyTo) add.push({ name: 'Reply-To', value: `<${list.address}>` });
  if (def.listHeaders) {
    const req = `mailto:${list.request}`;
    add.push(
      { name: 'List-Id', value: listId(list) },
      { name: 'List-Post', value: `<mailto:${list.address}>` },
      { name: 'List-Help', value: `<${req}?body=HELP>` },
      { name: 'List-Subscribe', value: `<${req}?body=JOIN>` },
      { name: 'List-Unsubscribe', value: `<${req}?body=LEAVE>` },
    );
    if (def.archive) add.push({ name: 'List-Archive', value: `<${req}?body=ARTICLE%20INDEX>` });
    add.push({ name: 'X-ML-Name', value: def.local }, { name: 'X-Mail-Count', value: String(n) });
  }
  add.push({ name: 'Precedence', value: 'list' });
  const rawFrom = header(message, 'From');
  if (def.fromIsList) {
    add.push({ name: 'From', value: `${def.local} <${list.address}>` });
    if (rawFrom) add.push({ name: 'X-Original-From', value: rawFrom });
  }
  const drop = [...REPLACED, ...(def.subjectTag ? ['Subject'] : []), ...(def.replyTo ? ['Reply-To'] : []), ...(def.fromIsList ? ['From', 'X-Original-From'] : [])];
  let content = rewrite(message, drop, add);
  for (const name of def.addons) {
    const addon = listAddon(name);
    if (!addon) throw new Error(`list ${def.key}: no add-on "${name}" is registered`);
    const r = await addon({ list: def.key, address: list.address, n, sender, content });
    if (r?.drop) return { kind: 'dropped', why: `add-on ${name}: ${r.drop}` };
    if (r?.content) content = r.content;
  }
  if (def.archive) await store.archive(def.key, { n, subject: tagged, from: from || sender, date: new Date() }, content);
  // one copy per member, whatever the case of the address: a post never reaches a member twice
  const seen = new Set<string>();
  const active = (await store.members(def.key)).filter((m) => !m.disabled && !seen.has(m.address.toLowerCase()) && seen.add(m.address.toLowerCase()));
  const members = active.map((m) => m.address);
  const mailFrom = def.errorsTo === 'nobody' ? '' : def.errorsTo === 'poster' ? sender : def.errorsTo;
  // bounce processing: one copy per member, each with its own VERP envelope sender, and so
  // room for a per-member one-click unsubscribe link (the archived copy above has none)
  const personal = (m: ListMember) => {
    const url = def.listHeaders ? oneClickUrl?.(list, m) : undefined;
    return url ? withOneClick(content, list, url) : content;
  };
  const outbound = def.bounceLimit > 0
    ? active.map((m) => ({ mailFrom: verpAddress(list, m.address), recipients: [m.address], content: personal(m) }))
    : splitMembers(members, def.split.rule, def.split.parts).map((recipients) => ({ mailFrom, recipients, content }));
  return { kind: 'posted', n, outbound };
}
