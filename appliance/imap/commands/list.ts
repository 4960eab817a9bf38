// LIST [(selection-options)] reference mailbox-pattern|(patterns) [RETURN (return-options)]
//                                         (RFC 3501 §6.3.8, RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS)
// LSUB reference mailbox-pattern          (RFC 3501 §6.3.9)
//   * LIST (attributes) "/" name [("CHILDINFO" ("SUBSCRIBED"))] [* STATUS name (...)] ... / OK.
//   Selection: SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE (RFC 6154). Return: SUBSCRIBED,
//   CHILDREN, SPECIAL-USE, STATUS (items). Attributes: \NonExistent, \Noselect, \HasChildren /
//   \HasNoChildren (RFC 3348), \Subscribed and the RFC 6154 special uses.
import { astring, BadArgument, type Token } from '../parser.ts';
import { hasSubscribedChild, mailboxTree, patternMatcher, type ListedBox } from '../mailbox/listing.ts';
import { statusValues } from '../mailbox/status.ts';
import { R } from '../replies.ts';
import { command, type ImapSession, type ParseContext } from '../types.ts';
import { U } from '../untagged.ts';
import { decodeMailboxName } from '../wire.ts';
import { DELIMITER, wireName } from './args.ts';
import { statusItems } from './status.ts';

const SELECTION = new Set(['SUBSCRIBED', 'REMOTE', 'RECURSIVEMATCH', 'SPECIAL-USE']);
const RETURNS = new Set(['SUBSCRIBED', 'CHILDREN', 'SPECIAL-USE', 'STATUS']);

export interface ListArgs {
  /** Selection options, upper-cased (RFC 5258 §3.1). */
  selection: string[];
  /** Return options, upper-cased (RFC 5258 §3.2), STATUS's items in `status`. */
  returns: string[];
  status: string[] | null;
  /**
   * Each pattern with the reference before it, as mailbox names (modified UTF-7 decoded, kept
   * as sent when invalid; UTF-8 as it is with IMAP4rev2 or UTF8=ACCEPT); empty patterns left out.
   */
  patterns: string[];
  /** Only the hierarchy delimiter is asked for: one empty pattern, no selection option (RFC 3501 §6.3.8). */
  delimiterOnly: boolean;
  /** Selection options, a pattern list or RETURN were given, even empty: an extended LIST (RFC 5258 §3). */
  extended: boolean;
}

const words = (toks: Token[]) => toks.map((t) => (t.t === 'atom' ? t.v.toUpperCase() : ''));

/** A pattern's mailbox-name part: modified UTF-7 (kept as sent when invalid) or, with IMAP4rev2 or UTF8=ACCEPT, UTF-8. */
const patternName = (wire: string, ctx: ParseContext) => (ctx.utf8Names ? wire : decodeMailboxName(wire) ?? wire);

function listArgs(reference: string, patterns: string[], selection: string[], ctx: ParseContext, rest: Omit<ListArgs, 'selection' | 'patterns' | 'delimiterOnly'>): ListArgs {
  return {
    selection,
    ...rest,
    patterns: patterns.filter((p) => p !== '').map((p) => patternName(reference + p, ctx)),
    delimiterOnly: patterns.length === 1 && patterns[0] === '' && !selection.length,
  };
}

export function parseList(args: Token[], ctx: ParseContext): ListArgs {
  let i = 0;
  const selection: string[] = [];
  if (args[0]?.t === 'list') {
    for (const w of words(args[i++].v as Token[])) {
      if (!SELECTION.has(w)) throw new BadArgument('Unknown LIST selection option');
      if (!selection.includes(w)) selection.push(w);
    }
    // RFC 5258 §3: RECURSIVEMATCH only qualifies another selection option
    if (selection.includes('RECURSIVEMATCH') && !selection.includes('SUBSCRIBED') && !selection.includes('SPECIAL-USE')) {
      throw new BadArgument('RECURSIVEMATCH needs another selection option');
    }
  }
  const reference = astring(args[i++], 'reference');
  const pat = args[i++];
  const patterns = pat?.t === 'list' ? pat.v.map((t) => astring(t, 'mailbox pattern')) : [astring(pat, 'mailbox pattern')];
  if (!patterns.length) throw new BadArgument('Expected a mailbox pattern');
  const returns: string[] = [];
  let status: string[] | null = null;
  if (args[i]) {
    if (args[i].t !== 'atom' || (args[i] as { v: string }).v.toUpperCase() !== 'RETURN' || args[i + 1]?.t !== 'list') {
      throw new BadArgument('Expected RETURN (options)');
    }
    const opts = args[i + 1].v as Token[];
    for (let k = 0; k < opts.length; k++) {
      const w = words([opts[k]])[0];
      if (!RETURNS.has(w)) throw new BadArgument('Unknown LIST return option');
      if (!returns.includes(w)) returns.push(w);
      if (w === 'STATUS') status = statusItems(opts[++k]);
    }
    if (args.length > i + 2) throw new BadArgument('Unexpected LIST argument');
  }
  const extended = args[0]?.t === 'list' || pat?.t === 'list' || args.length > i;
  return listArgs(reference, patterns, selection, ctx, { returns, status, extended });
}

/** LSUB is LIST (SUBSCRIBED) in RFC 3501's plain form (§6.3.9). */
export const parseLsub = (args: Token[], ctx: ParseContext): ListArgs =>
  listArgs(astring(args[0], 'reference'), [astring(args[1], 'mailbox pattern')], ['SUBSCRIBED'], ctx, { returns: [], status: null, extended: false });

async function listing(s: ImapSession, verb: 'LIST' | 'LSUB', req: ListArgs) {
  if (req.delimiterOnly) {
    // the hierarchy delimiter and root (RFC 3501 §6.3.8)
    await s.send(U.list(verb, ['\\Noselect'], DELIMITER, wireName(s, '')));
    return R.done(verb);
  }
  const matchers = req.patterns.map(patternMatcher);
  const match = (name: string) => matchers.some((m) => m(name));
  const tree = await mailboxTree(s.env.stores, s.account!);
  const onlySubscribed = req.selection.includes('SUBSCRIBED');
  const recursive = req.selection.includes('RECURSIVEMATCH') && onlySubscribed;
  // RFC 3501 §6.3.9: LSUB "foo/%" with only "foo/bar/baz" subscribed returns "foo/bar" \Noselect
  const lsubParents = verb === 'LSUB';
  if (recursive || lsubParents) {
    // parents of subscribed mailboxes that do not exist themselves still carry CHILDINFO
    const names = new Set(tree.map((b) => b.name));
    for (const b of tree.filter((x) => x.subscribed)) {
      const parts = b.name.split(DELIMITER);
      for (let k = 1; k < parts.length; k++) {
        const name = parts.slice(0, k).join(DELIMITER);
        if (names.has(name)) continue;
        names.add(name);
        tree.push({ name, specialUse: null, noselect: true, nonexistent: true, intermediate: false, subscribed: false, hasChildren: false, info: null });
      }
    }
    tree.sort((a, b) => (a.name === 'INBOX' ? -1 : b.name === 'INBOX' ? 1 : a.name < b.name ? -1 : 1));
  }
  const showSubscribed = verb === 'LIST' && (onlySubscribed || req.returns.includes('SUBSCRIBED'));
  const out: Buffer[] = [];
  // a subscribed mailbox is listed itself when a pattern matches it
  const listedItself = (name: string) => match(name);
  for (const box of tree) {
    if (!match(box.name)) continue;
    const hiddenChild = (recursive || lsubParents) && hasSubscribedChild(tree, box.name, listedItself);
    const childInfo = recursive && hiddenChild;
    if (onlySubscribed && !box.subscribed && !hiddenChild) continue;
    if (lsubParents && !box.subscribed) {
      out.push(U.list('LSUB', ['\\Noselect'], DELIMITER, wireName(s, box.name)));
      continue;
    }
    if (!onlySubscribed && box.nonexistent && !box.intermediate) continue;
    if (req.selection.includes('SPECIAL-USE') && !box.specialUse) continue;
    // RFC 5258 §3: \NonExistent answers extended LIST commands; plain ones keep RFC 3501's \Noselect
    const attrs = attributes(box, showSubscribed, verb === 'LSUB' || !(req.extended || s.enabled.has('IMAP4REV2')));
    const extra = childInfo ? ' ("CHILDINFO" ("SUBSCRIBED"))' : '';
    out.push(U.list(verb, attrs, DELIMITER, wireName(s, box.name), extra));
    if (req.status && box.info && !box.noselect) {
      // LIST-STATUS (RFC 5819): a STATUS response right after the mailbox's LIST response
      const body = await statusValues(s.env.stores, box.info, req.status).catch(() => null);
      if (body !== null) out.push(U.status(wireName(s, box.name), body));
    }
  }
  if (out.length) await s.send(Buffer.concat(out));
  return R.done(verb);
}

/** The attributes of one mailbox, as SELECT's LIST response shows them (RFC 9051 §6.3.2). */
export async function listAttributes(s: ImapSession, name: string): Promise<string[]> {
  const box = (await mailboxTree(s.env.stores, s.account!)).find((b) => b.name === name);
  return box ? attributes(box, true, false) : [];
}

function attributes(box: ListedBox, showSubscribed: boolean, plain: boolean): string[] {
  const attrs: string[] = [];
  // \NonExistent implies \Noselect (RFC 5258 §3); LSUB and plain LIST say it with \Noselect
  if (box.nonexistent) {
    attrs.push(plain ? '\\Noselect' : '\\NonExistent');
    if (box.hasChildren) attrs.push('\\HasChildren');
  } else {
    if (box.noselect) attrs.push('\\Noselect');
    attrs.push(box.hasChildren ? '\\HasChildren' : '\\HasNoChildren');
  }
  if (box.specialUse) attrs.push(box.specialUse);
  if (showSubscribed && box.subscribed) attrs.push('\\Subscribed');
  return attrs;
}

export const LIST = command({
  syntax: 'LIST [(options)] reference mailbox [RETURN (options)]',
  states: ['auth', 'selected'],
  args: [2, 5],
  parse: parseList,
  run: (s, a) => listing(s, 'LIST', a),
});

export const LSUB = command({
  syntax: 'LSUB reference mailbox',
  states: ['auth', 'selected'],
  args: [2, 2],
  parse: parseLsub,
  run: (s, a) => listing(s, 'LSUB', a),
});
