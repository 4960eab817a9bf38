/**
 * Every untagged server response (RFC 3501 §7, RFC 9051 §7 and the extensions' own), built by
 * typed builders in this one module: command modules say what to answer, never how it is
 * spelled on the wire. Each returns one complete line with its CRLF, as an ASCII string, or a
 * Buffer when a mailbox name (modified UTF-7, or UTF-8 under UTF8=ACCEPT) is part of it.
 * Tagged completions and BYE texts are in replies.ts.
 */
import { compactSet } from './mailbox/sequence.ts';
import { nstring, type Chunk } from './wire.ts';

const line = (text: string): string => `* ${text}\r\n`;
const numbers = (ns: readonly number[]): string => ns.map((n) => ` ${n}`).join('');
const bytes = (c: Chunk): Buffer => (typeof c === 'string' ? Buffer.from(c, 'latin1') : c);
/** A line carrying a wire mailbox name (and maybe other strings): `* <head><name><tail…>`. */
const named = (head: string, name: Buffer, ...tail: Chunk[]): Buffer =>
  Buffer.concat([Buffer.from(`* ${head}`), name, ...tail.map(bytes), Buffer.from('\r\n')]);
/** ` <string>` for each value, each an IMAP string (quoted or literal). */
const strings = (values: readonly string[]): Chunk[] => values.flatMap((v) => [' ', nstring(v)]);

/** The data items of a `* n FETCH` that flag changes carry (RFC 3501 §7.4.2, RFC 7162 §3.1.4.1). */
export interface FlagFetch {
  uid?: number;
  flags?: readonly string[];
  modseq?: number;
}

export const U = {
  // --- status responses with a response code (RFC 3501 §7.1) -----------------------------------
  /** `* OK [code] text`. */
  ok: (code: string, text: string) => line(`OK [${code}] ${text}`),
  /** RFC 7162 §3.1.2.1 (SELECT, and the first CONDSTORE-enabling command with a mailbox selected, §3.1). */
  highestModseq: (modseq: number) => line(`OK [HIGHESTMODSEQ ${modseq}] Highest`),
  // SELECT and EXAMINE (RFC 3501 §6.3.1, RFC 8474 §4.2, RFC 7162 §3.2.11)
  /** The first unseen message's sequence number (IMAP4rev1 only; RFC 9051 drops it). */
  unseen: (seq: number) => line(`OK [UNSEEN ${seq}] First unseen`),
  uidValidity: (n: number) => line(`OK [UIDVALIDITY ${n}] UIDs valid`),
  uidNext: (uid: number) => line(`OK [UIDNEXT ${uid}] Predicted next UID`),
  mailboxId: (objectId: string) => line(`OK [MAILBOXID (${objectId})] Ok`),
  /** The previous mailbox's end, announced with QRESYNC or IMAP4rev2 when another is selected. */
  closed: () => line('OK [CLOSED] Previous mailbox closed'),
  capability: (caps: readonly string[]) => line(`CAPABILITY ${caps.join(' ')}`),
  enabled: (caps: readonly string[]) => line(`ENABLED${caps.map((c) => ` ${c}`).join('')}`),

  // --- mailbox size and flags (RFC 3501 §7.2.6, §7.3, §7.4) -------------------------------------
  flags: (flags: readonly string[]) => line(`FLAGS (${flags.join(' ')})`),
  /** `\*` is offered only where keywords may be created (read-write). */
  permanentFlags: (flags: readonly string[], canCreate: boolean) =>
    line(`OK [PERMANENTFLAGS (${canCreate ? [...flags, '\\*'].join(' ') : ''})] Flags permitted`),
  exists: (n: number) => line(`${n} EXISTS`),
  recent: (n: number) => line(`${n} RECENT`),
  expunge: (seq: number) => line(`${seq} EXPUNGE`),
  /** RFC 7162 §3.2.10: `(EARLIER)` for UIDs gone before this command (SELECT, FETCH VANISHED). */
  vanished: (uids: readonly number[], earlier: boolean) => line(`VANISHED ${earlier ? '(EARLIER) ' : ''}${compactSet([...uids])}`),
  /** A FETCH of flag data (STORE, an other session's change, QRESYNC). Full FETCH responses are rendered in fetch/fetch.ts. */
  flagFetch(seq: number, f: FlagFetch): string {
    const items: string[] = [];
    if (f.uid !== undefined) items.push(`UID ${f.uid}`);
    if (f.flags) items.push(`FLAGS (${f.flags.join(' ')})`);
    if (f.modseq !== undefined) items.push(`MODSEQ (${f.modseq})`);
    return line(`${seq} FETCH (${items.join(' ')})`);
  },
  /** A full FETCH response around the data items fetch/fetch.ts rendered (literals and all). */
  fetch: (seq: number, items: Buffer): Buffer => Buffer.concat([Buffer.from(`* ${seq} FETCH (`), items, Buffer.from(')\r\n')]),

  // --- mailbox listing and status (RFC 3501 §7.2.2–§7.2.4, RFC 5258, RFC 5819) -------------------
  /** `extended`: LIST-EXTENDED's `(CHILDINFO …)` and similar, with its leading space. */
  list: (verb: 'LIST' | 'LSUB', attrs: readonly string[], delimiter: string, name: Buffer, extended = '') =>
    named(`${verb} (${attrs.join(' ')}) "${delimiter}" `, name, extended),
  /** `body` is the `MESSAGES n UIDNEXT n …` pairs from mailbox/status.ts. */
  status: (name: Buffer, body: string) => named('STATUS ', name, ` (${body})`),
  /** RFC 2342: one personal namespace "", no other users' one, the shared one (`sharedPrefix`). */
  namespace: (delimiter: string, sharedPrefix: string) => line(`NAMESPACE (("" "${delimiter}")) NIL (("${sharedPrefix}" "${delimiter}"))`),
  id: (fields: Record<string, string>) => line(`ID (${Object.entries(fields).map(([k, v]) => `"${k}" "${v}"`).join(' ')})`),

  // --- searching (RFC 3501 §7.2.5, RFC 4731, RFC 7162 §3.1.5, RFC 5256) ---------------------------
  search: (hits: readonly number[], modseq?: number) => line(`SEARCH${numbers(hits)}${modseq !== undefined ? ` (MODSEQ ${modseq})` : ''}`),
  /** RFC 4731 §3.1: only the asked-for parts; MIN, MAX and ALL are left out when nothing matched. */
  esearch(tag: string, uid: boolean, r: { min?: number; max?: number; count?: number; all?: readonly number[]; modseq?: number }): string {
    const parts = [`ESEARCH (TAG "${tag}")${uid ? ' UID' : ''}`];
    if (r.min !== undefined) parts.push(`MIN ${r.min}`);
    if (r.max !== undefined) parts.push(`MAX ${r.max}`);
    if (r.count !== undefined) parts.push(`COUNT ${r.count}`);
    if (r.all?.length) parts.push(`ALL ${compactSet([...r.all])}`);
    if (r.modseq !== undefined) parts.push(`MODSEQ ${r.modseq}`);
    return line(parts.join(' '));
  },
  sort: (ids: readonly number[]) => line(`SORT${numbers(ids)}`),
  /** `threads` is the parenthesized thread list of search/sort.ts; empty for no match. */
  thread: (threads: string) => line(threads ? `THREAD ${threads}` : 'THREAD'),

  // --- quota and access rights (RFC 9208, RFC 4314) ----------------------------------------------
  /** The appliance has one quota root per account, named "" (RFC 9208 §4.2). */
  quota: (usedKiB: number, limitKiB: number) => line(`QUOTA "" (STORAGE ${usedKiB} ${limitKiB})`),
  /** `roots`: the quota roots' names; none when the mailbox has no limit. */
  quotaRoot: (name: Buffer, roots: readonly string[]) => named('QUOTAROOT ', name, ...strings(roots)),
  myRights: (name: Buffer, rights: string) => named('MYRIGHTS ', name, ` ${rights}`),
  /**
   * The owner's rights, then those of RFC 4314's `anyone` (§2: here the other accounts of the
   * owner's domain; sent as the bare atom, and left out when empty).
   */
  acl: (name: Buffer, owner: string, ownerRights: string, anyone: string) =>
    named('ACL ', name, ' ', nstring(owner), ` ${ownerRights}${anyone ? ` anyone ${anyone}` : ''}`),
  listRights: (name: Buffer, id: string, required: string, optional: readonly string[]) =>
    named('LISTRIGHTS ', name, ...strings([id, required]), optional.map((r) => ` ${r}`).join('')),
} as const;
