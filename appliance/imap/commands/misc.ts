// NAMESPACE                               (RFC 2342): personal "" and shared "#Shared/" (IM-2)
//   * NAMESPACE (("" "/")) NIL (("#Shared/" "/"))
// ID (field value ...) | NIL              (RFC 2971)
//   * ID ("name" "mailserver" ...)
// ENABLE capability ...                   (RFC 5161): CONDSTORE, QRESYNC (RFC 7162), IMAP4rev2 (RFC 9051),
//                                         UTF8=ACCEPT (RFC 6855, utf8-accept.ts)
//   * ENABLED CONDSTORE
import { BadArgument, type Token } from '../parser.ts';
import { SHARED_PREFIX } from '../mailbox/namespace.ts';
import { R } from '../replies.ts';
import { command } from '../types.ts';
import { U } from '../untagged.ts';
import { UTF8_ACCEPT } from '../utf8-accept.ts';
import { DELIMITER, noArgs } from './args.ts';

export const NAMESPACE = command({
  syntax: 'NAMESPACE',
  states: ['auth', 'selected'],
  args: [0, 0],
  parse: noArgs,
  async run(s) {
    await s.send(U.namespace(DELIMITER, SHARED_PREFIX));
    return R.done('NAMESPACE');
  },
});

export interface IdArgs {
  /** The client's field and value pairs; null for `ID NIL`. Only informational (RFC 2971 §3.1). */
  fields: [field: string, value: string | null][] | null;
}

const ID_SYNTAX = 'ID (field value ...) | NIL';
/** RFC 2971 §3.3: at most 30 field and value pairs. */
const MAX_ID_FIELDS = 30;

/** A field or value: a string as text, NIL (or anything else a string should be) as null. */
const idText = (t: Token): string | null =>
  t.t === 'string' ? t.v.toString('utf8') : t.t === 'atom' && t.v.toUpperCase() !== 'NIL' ? t.v : null;

export function parseId(args: Token[]): IdArgs {
  const a = args[0];
  if (a?.t === 'atom' && a.v.toUpperCase() === 'NIL') return { fields: null };
  if (a?.t !== 'list' || a.v.length % 2 !== 0 || a.v.length > MAX_ID_FIELDS * 2) throw new BadArgument(`Syntax: ${ID_SYNTAX}`);
  const fields: [string, string | null][] = [];
  for (let i = 0; i < a.v.length; i += 2) fields.push([idText(a.v[i]) ?? '', idText(a.v[i + 1])]);
  return { fields };
}

export const ID = command({
  syntax: ID_SYNTAX,
  states: ['notauth', 'auth', 'selected'],
  args: [1, 1],
  parse: parseId,
  async run(s) {
    await s.send(U.id({ name: 'mailserver', vendor: 'mailserver appliance' }));
    return R.done('ID');
  },
});

/** What can be enabled, upper-cased, with its spelling in `* ENABLED`. */
const ENABLEABLE = new Map([['CONDSTORE', 'CONDSTORE'], ['QRESYNC', 'QRESYNC'], ['IMAP4REV2', 'IMAP4rev2'], [UTF8_ACCEPT, UTF8_ACCEPT]]);

export interface EnableArgs {
  /** Upper-cased atoms; names the server does not know are ignored (RFC 5161 §3.1), so not an error. */
  capabilities: string[];
}

export const parseEnable = (args: Token[]): EnableArgs => ({ capabilities: args.flatMap((t) => (t.t === 'atom' ? [t.v.toUpperCase()] : [])) });

export const ENABLE = command({
  syntax: 'ENABLE capability ...',
  states: ['auth', 'selected'],
  args: [1, 20],
  parse: parseEnable,
  async run(s, { capabilities }) {
    const now: string[] = [];
    for (const cap of capabilities) {
      if (ENABLEABLE.has(cap) && !s.enabled.has(cap)) {
        s.enabled.add(cap);
        now.push(ENABLEABLE.get(cap)!);
      }
    }
    // QRESYNC implies CONDSTORE (RFC 7162 §3.2.3)
    if (s.enabled.has('QRESYNC')) s.enabled.add('CONDSTORE');
    // a selected mailbox learns of CONDSTORE after the command, with its HIGHESTMODSEQ (dispatch)
    if (s.selected && s.enabled.has('QRESYNC')) s.selected.qresync = true;
    if (s.selected && s.enabled.has('IMAP4REV2')) s.selected.rev2 = true;
    await s.send(U.enabled(now));
    return R.done('ENABLE');
  },
});
