/**
 * ML-3 / ML-4: the commands of a mail to `<list>-request@<domain>`, run one a line, each
 * answered in one reply mail (unless the list does not answer); confirmation and approval
 * requests and admin keys go out as their own mails.
 *
 * The sender of a command mail is not authenticated (the envelope sender can be forged), so
 * the answer must not be worth forging: it quotes no text of the request (only the verbs it
 * understood), runs at most `maxCommands` commands, and the archive (ARTICLE) answers members
 * and the admin only, once a mail, up to `answerMaxBytes`.
 */
import crypto from 'node:crypto';
import type { Transaction } from '../../core/session.ts';
import type { ListStore, OutboundItem } from '../../core/store/ports.ts';
import { formatMemberFile } from '../../policies/list-members.ts';
import { inRange, parseCommands, type Command } from '../../policies/list-commands.ts';
import { addressOf, decodedHeader, header, splitMessage } from './headers.ts';
import { byName, type ListAt, type ListDef } from './lists.ts';
import { composeNotice } from './compose.ts';
import { TEXT } from './replies.ts';

const PENDING_MS = 3 * 24 * 3600_000;
const ADDRESS = /^[^@\s<>]+@[^@\s<>]+$/;

interface Run {
  store: ListStore;
  defs: ListDef[];
  list: ListAt;
  sender: string;
  subject: string;
  hostname: string;
  lines: string[];
  attachments: { n: number; content: Buffer }[];
  /** Bytes of archive text and attachments in the answer so far (answerMaxBytes). */
  answerBytes: number;
  articleDone: boolean;
  out: OutboundItem[];
}

async function mail(r: Run, to: string, subject: string, text: string, extra: { messages?: { n: number; content: Buffer }[] } = {}) {
  const content = await composeNotice({ from: r.list.request, to, subject, text, replyTo: r.list.request, ...extra }, r.hostname);
  r.out.push({ mailFrom: '', recipients: [to], content });
}

const isAdminAddress = (l: ListAt, a: string) => !!l.def.admin && l.def.admin.toLowerCase() === a.toLowerCase();

async function admin(r: Run, l: ListAt, cmd: string): Promise<boolean> {
  if (!isAdminAddress(l, r.sender)) return void r.lines.push(TEXT.adminOnly(cmd)), false;
  if (l.def.adminKeyMinutes > 0) {
    const words = r.subject.split(/[\s:[\]()]+/).filter(Boolean);
    let ok = false;
    for (const w of words) if (await r.store.validKey(l.def.key, w)) ok = true;
    if (!ok) return void r.lines.push(TEXT.keyNeeded(cmd)), false;
  }
  return true;
}

const token = () => crypto.randomBytes(12).toString('hex');

async function apply(r: Run, l: ListAt, action: 'JOIN' | 'LEAVE', address: string): Promise<string> {
  if (action === 'JOIN') {
    return (await r.store.addMember(l.def.key, { address, name: '' })) ? TEXT.joined(address, l.def.local) : TEXT.alreadyMember(address, l.def.local);
  }
  return (await r.store.removeMember(l.def.key, address)) ? TEXT.left(address, l.def.local) : TEXT.notMember(address, l.def.local);
}

async function askAdmin(r: Run, l: ListAt, action: 'JOIN' | 'LEAVE', address: string) {
  const t = token();
  await r.store.addPending({ token: t, list: l.def.key, action, address, stage: 'admin', expires: new Date(Date.now() + PENDING_MS) });
  await mail(r, l.def.admin, TEXT.approveSubject(action, l.def.local, t), TEXT.approve(action, address, l.def.local, t));
}

const needsAdmin = (l: ListAt, action: 'JOIN' | 'LEAVE') => !!l.def.admin && (action === 'JOIN' ? l.def.joinToAdmin : l.def.leaveToAdmin);

async function membership(r: Run, c: Extract<Command, { verb: 'JOIN' | 'LEAVE' }>) {
  const l = c.list ? byName(r.defs, c.list, r.list.domain) : r.list;
  if (!l) return r.lines.push(TEXT.noSuchList());
  const address = c.address ?? r.sender;
  if (!ADDRESS.test(address)) return r.lines.push(TEXT.badAddress());
  const member = await r.store.isMember(l.def.key, address);
  if (c.verb === 'JOIN' && member) return r.lines.push(TEXT.alreadyMember(address, l.def.local));
  if (c.verb === 'LEAVE' && !member) return r.lines.push(TEXT.notMember(address, l.def.local));
  // the admin (with a key when keys are required) acts at once, for any address
  if (isAdminAddress(l, r.sender)) {
    if (await admin(r, l, c.verb)) r.lines.push(await apply(r, l, c.verb, address));
    return;
  }
  if (l.def.confirm) {
    const t = token();
    await r.store.addPending({ token: t, list: l.def.key, action: c.verb, address, stage: 'member', expires: new Date(Date.now() + PENDING_MS) });
    await mail(r, address, TEXT.confirmSubject(c.verb, l.def.local, t), TEXT.confirm(c.verb, address, l.def.local, l.request, t));
    return r.lines.push(TEXT.confirmSent(address));
  }
  if (needsAdmin(l, c.verb)) {
    await askAdmin(r, l, c.verb, address);
    return r.lines.push(TEXT.approvalSent());
  }
  r.lines.push(await apply(r, l, c.verb, address));
}

async function confirm(r: Run, t: string) {
  const p = await r.store.takePending(t);
  const l = p && r.defs.find((d) => d.key === p.list);
  if (!p || !l) return r.lines.push(TEXT.badToken());
  const la = byName(r.defs, l.key, r.list.domain)!;
  if (p.stage === 'admin') {
    if (!(await admin(r, la, 'CONFIRM'))) return r.store.addPending(p);
    const done = await apply(r, la, p.action, p.address);
    r.lines.push(done);
    return mail(r, p.address, TEXT.resultSubject(l.local), done);
  }
  if (needsAdmin(la, p.action)) {
    await askAdmin(r, la, p.action, p.address);
    return r.lines.push(TEXT.approvalSent());
  }
  r.lines.push(await apply(r, la, p.action, p.address));
}

/** The archive is for the members (the envelope sender is one) and the admin. */
async function mayReadArchive(r: Run, l: ListAt): Promise<boolean> {
  return isAdminAddress(l, r.sender) || (!!r.sender && (await r.store.isMember(l.def.key, r.sender)));
}

async function article(r: Run, c: Extract<Command, { verb: 'ARTICLE' }>) {
  const l = r.list;
  if (!l.def.archive) return r.lines.push(TEXT.archiveOff());
  if (c.action === 'DELETE') {
    if (!(await admin(r, l, 'ARTICLE DELETE'))) return;
    const chosen = (await r.store.articles(l.def.key)).filter((a) => inRange(c.range, a.n));
    return r.lines.push(TEXT.articlesDeleted(await r.store.deleteArticles(l.def.key, chosen.map((a) => a.n))));
  }
  if (!(await mayReadArchive(r, l))) return r.lines.push(TEXT.archiveMembersOnly());
  if (r.articleDone) return r.lines.push(TEXT.oneArticle());
  r.articleDone = true;
  const chosen = (await r.store.articles(l.def.key)).filter((a) => inRange(c.range, a.n));
  if (!chosen.length) return r.lines.push(TEXT.noArticles());
  const max = l.def.answerMaxBytes;
  let left = 0;
  for (const [i, a] of chosen.entries()) {
    if (c.action === 'INDEX') {
      const line = `${a.n}\t${a.date.toISOString().slice(0, 10)}\t${a.from}\t${a.subject}`;
      if (r.answerBytes + line.length > max) { left = chosen.length - i; break; }
      r.answerBytes += line.length;
      r.lines.push(line);
      continue;
    }
    const content = await r.store.article(l.def.key, a.n);
    if (!content) continue;
    if (r.answerBytes + content.length > max) { left = chosen.length - i; break; }
    r.answerBytes += content.length;
    r.attachments.push({ n: a.n, content });
  }
  if (c.action === 'LIST') r.lines.push(TEXT.articlesAttached(r.attachments.length));
  if (left) r.lines.push(TEXT.answerFull(left, max));
}

async function keygen(r: Run) {
  const l = r.list;
  if (!l.def.admin) return r.lines.push(TEXT.noAdmin());
  if (!isAdminAddress(l, r.sender)) return r.lines.push(TEXT.adminOnly('KEYGEN'));
  const key = crypto.randomBytes(6).toString('hex');
  const minutes = l.def.adminKeyMinutes || 60;
  await r.store.addKey(l.def.key, key, new Date(Date.now() + minutes * 60_000));
  // the key goes to the admin address, never to whoever claimed to be the admin
  await mail(r, l.def.admin, TEXT.keySubject(l.def.local), TEXT.key(key, minutes));
  r.lines.push(TEXT.keySent(l.def.admin));
}

/** Runs the commands of one mail; returns every mail to send because of it. */
export async function runCommands(store: ListStore, defs: ListDef[], list: ListAt, tx: Transaction, message: Buffer, hostname: string): Promise<OutboundItem[]> {
  const sender = tx.mailFrom.address || addressOf(header(message, 'From'));
  const subject = decodedHeader(message, 'Subject');
  const r: Run = { store, defs, list, sender, subject, hostname, lines: [], attachments: [], answerBytes: 0, articleDone: false, out: [] };
  const { body } = splitMessage(message);
  const commands = parseCommands(body.toString('utf8'));
  const skipped = Math.max(0, commands.length - list.def.maxCommands);
  commands.length -= skipped;
  // a reply to a confirmation request carries the token in its Subject
  const m = /(?:confirm|approve)\s+(?:join|leave)\s+\S+:\s*([0-9a-f]{24})\b/i.exec(subject);
  if (m && !commands.some((c) => c.verb === 'CONFIRM')) commands.unshift({ verb: 'CONFIRM', token: m[1].toLowerCase() });
  for (const c of commands) {
    // the verb only: an answer never quotes text of the request (it may go to a forged sender)
    r.lines.push(`> ${c.verb === 'ARTICLE' ? `ARTICLE ${c.action}` : c.verb === 'UNKNOWN' ? '?' : c.verb}`);
    switch (c.verb) {
      case 'JOIN': case 'LEAVE': await membership(r, c); break;
      case 'CONFIRM': await confirm(r, c.token); break;
      case 'HELP': r.lines.push(TEXT.help(list.request)); break;
      case 'KEYGEN': await keygen(r); break;
      case 'ARTICLE': await article(r, c); break;
      case 'LIST':
        if (await admin(r, list, 'LIST')) {
          const members = await store.members(list.def.key);
          r.lines.push(TEXT.members(members.length), formatMemberFile(members).trimEnd().split('\n')
            .map((line, i) => (members[i]?.disabled ? `${line}  # disabled after ${members[i].bounces} bounces` : line)).join('\n'));
        }
        break;
      case 'UNKNOWN': r.lines.push(TEXT.unknown()); break;
    }
    r.lines.push('');
  }
  if (skipped) r.lines.push(TEXT.tooManyCommands(list.def.maxCommands, skipped));
  if (!commands.length) r.lines.push(TEXT.noCommands());
  if (!list.def.noAnswer) {
    const content = await composeNotice({
      from: list.request, to: sender, subject: TEXT.resultSubject(list.def.local), text: r.lines.join('\n'),
      inReplyTo: header(message, 'Message-ID'), messages: r.attachments.length ? r.attachments : undefined,
    }, hostname);
    r.out.unshift({ mailFrom: '', recipients: [sender], content });
  }
  return r.out;
}
