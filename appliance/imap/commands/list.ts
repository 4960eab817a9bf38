// LIST [(selection-options)] reference mailbox-pattern [RETURN (options)]   (RFC 3501 §6.3.8)
// LSUB reference mailbox-pattern          (RFC 3501 §6.3.9)
//   * LIST (attributes) "/" name ... / OK. `*` matches anything, `%` anything but "/".
//   Attributes: \HasChildren / \HasNoChildren (RFC 3348) and the RFC 6154 special uses.
import { astring, type Token } from '../parser.ts';
import { R } from '../replies.ts';
import type { CommandSpec, ImapSession } from '../types.ts';
import { decodeMailboxName, encodeMailboxName, nstring } from '../wire.ts';
import { DELIMITER } from './args.ts';
import { sharedMailboxes } from '../mailbox/namespace.ts';

function patternRegex(pattern: string): RegExp {
  const body = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/%/g, '[^/]*');
  return new RegExp(`^${body}$`);
}

function matcher(reference: string, pattern: string): (name: string) => boolean {
  const full = decodeMailboxName(reference + pattern) ?? reference + pattern;
  const re = patternRegex(full);
  // INBOX is case-insensitive (RFC 3501 §5.1)
  const inboxRe = new RegExp(re.source, 'i');
  return (name) => (name === 'INBOX' || name.startsWith('INBOX/') ? inboxRe.test(name) : re.test(name));
}

const line = (verb: string, attrs: string[], name: string) =>
  Buffer.concat([Buffer.from(`* ${verb} (${attrs.join(' ')}) "${DELIMITER}" `), Buffer.from(nstring(encodeMailboxName(name))), Buffer.from('\r\n')]);

async function listing(s: ImapSession, verb: 'LIST' | 'LSUB', args: Token[]) {
  let i = 0;
  const options: string[] = [];
  const first = args[0];
  if (first?.t === 'list') {
    i++;
    options.push(...first.v.map((t) => (t.t === 'atom' ? t.v.toUpperCase() : '')));
  }
  const reference = astring(args[i++], 'reference');
  const pattern = astring(args[i++], 'mailbox pattern');
  if (pattern === '') {
    await s.send(`* ${verb} (\\Noselect) "${DELIMITER}" ""\r\n`);
    return R.done(verb);
  }
  const own = await s.env.stores.mail.listMailboxes(s.account!.id);
  // IM-2: other accounts' published folders, under #Shared/<owner>/ (their parents \Noselect)
  const shared = await sharedMailboxes(s.env.stores, s.account!);
  const parents = [...new Set(shared.map((x) => `#Shared/${x.owner.name}`))];
  const boxes = [
    ...own.map((b) => ({ name: b.name, specialUse: b.specialUse, noselect: false })),
    ...(shared.length ? [{ name: '#Shared', specialUse: null, noselect: true }] : []),
    ...parents.map((name) => ({ name, specialUse: null, noselect: true })),
    ...shared.map((x) => ({ name: x.name, specialUse: null, noselect: false })),
  ];
  const subscribed = new Set(await s.env.stores.folders.subscriptions(s.account!.id));
  // every name that has something below it (\HasChildren, RFC 3348)
  const parentNames = new Set(boxes.flatMap((b) => b.name.split(DELIMITER).slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join(DELIMITER))));
  const match = matcher(reference, pattern);
  const out: Buffer[] = [];
  const sorted = [...boxes].sort((a, b) => (a.name === 'INBOX' ? -1 : b.name === 'INBOX' ? 1 : a.name < b.name ? -1 : 1));
  for (const box of sorted) {
    if (!match(box.name)) continue;
    if ((verb === 'LSUB' || options.includes('SUBSCRIBED')) && !subscribed.has(box.name)) continue;
    if (options.includes('SPECIAL-USE') && !box.specialUse) continue;
    const hasChildren = parentNames.has(box.name);
    const attrs = [hasChildren ? '\\HasChildren' : '\\HasNoChildren'];
    if (box.noselect) attrs.unshift('\\Noselect');
    if (box.specialUse) attrs.push(box.specialUse);
    if (options.includes('SUBSCRIBED') && subscribed.has(box.name)) attrs.push('\\Subscribed');
    out.push(line(verb, attrs, box.name));
  }
  if (out.length) await s.send(Buffer.concat(out));
  return R.done(verb);
}

export const LIST: CommandSpec = {
  syntax: 'LIST [(options)] reference mailbox [RETURN (options)]',
  states: ['auth', 'selected'],
  args: [2, 5],
  run: (s, cmd) => listing(s, 'LIST', cmd.args),
};

export const LSUB: CommandSpec = {
  syntax: 'LSUB reference mailbox',
  states: ['auth', 'selected'],
  args: [2, 2],
  run: (s, cmd) => listing(s, 'LSUB', cmd.args),
};
