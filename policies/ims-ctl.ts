/**
 * Per-account auto-forward and auto-reply (SPEC FW-1, FW-2, AR-1): the typed settings, as written
 * in mailserver.config.ts under the autoreply plugin, and the importer from the seed's mailbox
 * files (IMS.CTL, AUTORPLY.TXT, NOREPLY.TXT, PERMITFROM.TXT, REPLIED.TXT). Pure: no I/O.
 *
 * IMS.CTL is INI. The manual names `[AutoForward] ForwardTo`, `[Delivery] Discard`,
 * `[AutoReply] RecordReplies Subject ReplyFrom EchoMessage`; the other settings of its dialog
 * have no key in the manual, so this importer reads them under the names in KEYS below.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import Encoding from 'encoding-japanese';

const Address = Type.String({ pattern: '^[^@\\s<>]+@[^@\\s<>]+$' });
/** An address, `*@domain` / `@domain` / `domain` (whole domain). */
const SenderPattern = Type.String({ minLength: 1, pattern: '^[^\\s<>]+$' });

export const ForwardSchema = Type.Object({
  /** FW-1: addresses to forward to (the seed's ForwardTo, or the lines of its `FILE:` list). */
  to: Type.Optional(Type.Array(Address, { default: [] })),
  /** FW-1 `FILE:path`: a file of addresses, one a line, read at start (relative to the working directory). */
  file: Type.Optional(Type.String({ minLength: 1 })),
  /** PERMITFROM.TXT: when not empty, only mail from these senders (envelope or From:) is forwarded. */
  permitFrom: Type.Optional(Type.Array(SenderPattern, { default: [] })),
  /**
   * Envelope sender of the forward, which is where its bounces go (the seed's 不転送レポート先):
   * 'admin' (the domain's admin account), 'sender' (the original envelope sender), 'none' (`<>`),
   * or an address.
   */
  envelopeFrom: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('sender'), Type.Literal('none'), Address], { default: 'admin' })),
  /** Remove attachments (MIME parts with a file name or `Content-Disposition: attachment`). */
  stripAttachments: Type.Optional(Type.Boolean({ default: false })),
  /** Forward only the first N bytes of the body; 0 = headers only; absent = everything. */
  maxBodyBytes: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type ForwardSettings = Static<typeof ForwardSchema>;

export const ReplySchema = Type.Object({
  /** AUTORPLY.TXT: the reply text (UTF-8 here; encoded for the wire by `charset`). */
  text: Type.String(),
  /** Subject of the reply; default `Re: ` and the received subject. */
  subject: Type.Optional(Type.String()),
  /** From: of the reply (ReplyFrom); default the account's address. */
  from: Type.Optional(Address),
  /** Reply-To: of the reply. */
  replyTo: Type.Optional(Address),
  /** EchoMessage: include the received message, with or without its headers. */
  echo: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('with-headers'), Type.Literal('without-headers')], { default: 'none' })),
  /** NOREPLY.TXT: senders that never get a reply. */
  noReply: Type.Optional(Type.Array(SenderPattern, { default: [] })),
  /** RecordReplies (REPLIED.TXT): keep the addresses replied to (`mailserver autoreply replied`). */
  recordReplies: Type.Optional(Type.Boolean({ default: false })),
  /** "Do not reply to the same address again": a replied address joins the never-reply list. */
  onceOnly: Type.Optional(Type.Boolean({ default: false })),
  /** RFC 3834 §2: at most one reply per sender in this many days (0 = no limit). */
  periodDays: Type.Optional(Type.Number({ minimum: 0, default: 7 })),
  /** How Japanese (any non-ASCII) text goes on the wire. */
  charset: Type.Optional(Type.Union([Type.Literal('utf-8'), Type.Literal('iso-2022-jp')], { default: 'utf-8' })),
});
export type ReplySettings = Static<typeof ReplySchema>;

export const AccountAutoreplySchema = Type.Object({
  forward: Type.Optional(ForwardSchema),
  reply: Type.Optional(ReplySchema),
  /** [Delivery] Discard=Yes is keep: false (no copy in the mailbox). */
  keep: Type.Optional(Type.Boolean({ default: true })),
});
export type AccountAutoreply = Static<typeof AccountAutoreplySchema>;

type Filled<T, K extends keyof T> = Omit<T, K> & Required<Pick<T, K>>;
export type ResolvedForward = Filled<ForwardSettings, 'to' | 'permitFrom' | 'envelopeFrom' | 'stripAttachments'>;
export type ResolvedReply = Filled<ReplySettings, 'echo' | 'noReply' | 'recordReplies' | 'onceOnly' | 'periodDays' | 'charset'>;
export interface ResolvedAccount { keep: boolean; forward?: ResolvedForward; reply?: ResolvedReply }

/** The settings with every default filled in (TypeBox fills no defaults inside a Record). */
export function resolveAccount(settings: AccountAutoreply): ResolvedAccount {
  return Value.Default(AccountAutoreplySchema, structuredClone(settings)) as ResolvedAccount;
}

/** True when `address` (or its domain) is matched by one of the patterns. */
export function matchesSender(patterns: readonly string[], address: string): boolean {
  const a = address.toLowerCase();
  const domain = a.slice(a.lastIndexOf('@') + 1);
  if (!a.includes('@')) return false;
  return patterns.some((raw) => {
    const p = raw.trim().toLowerCase();
    if (!p) return false;
    if (p.startsWith('*@')) return domain === p.slice(2);
    if (p.startsWith('@')) return domain === p.slice(1);
    if (!p.includes('@')) return domain === p;
    return a === p;
  });
}

/** Text of a seed file: JIS (ISO-2022-JP, as the manual asked), Shift_JIS, EUC-JP or UTF-8. */
export function decodeSeedText(data: Buffer | string): string {
  if (typeof data === 'string') return data;
  const bytes = Uint8Array.from(data);
  const detected = Encoding.detect(bytes, ['UTF8', 'JIS', 'SJIS', 'EUCJP', 'ASCII']);
  const from = detected === 'JIS' || detected === 'SJIS' || detected === 'EUCJP' ? detected : 'UTF8';
  return Encoding.convert(bytes, { to: 'UNICODE', from, type: 'string' }).replace(/^\uFEFF/, '');
}

/** Lines of an address list file (NOREPLY.TXT, PERMITFROM.TXT, a FILE: list): blank and `'`/`#` comments skipped. */
export function addressLines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("'") && !l.startsWith('#'));
}

export type IniSections = Map<string, Map<string, string>>;

/** Parses INI text: `[Section]`, `Key = Value`; `;`/`'`/`#` comments; names compared case-insensitively. */
export function parseIni(text: string): { sections: IniSections; warnings: string[] } {
  const sections: IniSections = new Map();
  const warnings: string[] = [];
  let current: Map<string, string> | null = null;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || /^[;'#]/.test(line)) continue;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      const name = sec[1].trim().toLowerCase();
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      continue;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (!kv || !current) {
      warnings.push(`line ${i + 1}: not a [Section] or Key=Value line: ${line}`);
      continue;
    }
    current.set(kv[1].toLowerCase(), kv[2].trim());
  }
  return { sections, warnings };
}

const yes = (v: string | undefined) => v !== undefined && /^(yes|true|on|1)$/i.test(v);

/** The keys read from each section (the first column as the manual spells them, others ours). */
export const KEYS = {
  autoforward: ['ForwardTo', 'PermitFrom', 'ErrorsTo', 'DeleteAttachments', 'SizeLimit'],
  autoreply: ['Subject', 'ReplyFrom', 'ReplyTo', 'EchoMessage', 'NoHeaders', 'RecordReplies', 'NoReplyAgain'],
  delivery: ['Discard'],
} as const;

export interface SeedFiles {
  /** IMS.CTL. */
  ctl: Buffer | string;
  autorply?: Buffer | string;
  noreply?: Buffer | string;
  permitfrom?: Buffer | string;
  replied?: Buffer | string;
  /** Reads the list of a `ForwardTo=FILE:path`; null when it cannot be found. */
  forwardList?: (path: string) => Buffer | string | null;
}

export interface ImportResult {
  settings: ResolvedAccount;
  /** REPLIED.TXT: runtime data, not config; the caller decides what to do with it. */
  replied: string[];
  warnings: string[];
}

function errorsTo(value: string | undefined, warnings: string[]): ResolvedForward['envelopeFrom'] {
  if (value === undefined || value === '') return 'admin';
  const v = value.toLowerCase();
  if (v === 'admin' || v === 'administrator') return 'admin';
  if (v === 'sender') return 'sender';
  if (v === 'none' || v === '<>') return 'none';
  if (/^[^@\s<>]+@[^@\s<>]+$/.test(value)) return value;
  warnings.push(`[AutoForward] ErrorsTo=${value}: expected Admin, Sender, None or an address; using Admin`);
  return 'admin';
}

/** Turns a mailbox folder's seed files into the account's typed settings. */
export function importImsCtl(files: SeedFiles): ImportResult {
  const { sections, warnings } = parseIni(decodeSeedText(files.ctl));
  for (const [name, entries] of sections) {
    const known = (KEYS as Record<string, readonly string[]>)[name];
    if (!known) {
      warnings.push(`[${name}]: unknown section, ignored`);
      continue;
    }
    for (const key of entries.keys()) {
      if (!known.some((k) => k.toLowerCase() === key)) warnings.push(`[${name}] ${key}: unknown key, ignored`);
    }
  }
  const settings: ResolvedAccount = { keep: !yes(sections.get('delivery')?.get('discard')) };
  const fwd = sections.get('autoforward');
  const forwardTo = fwd?.get('forwardto');
  if (fwd && forwardTo) {
    const forward: ResolvedForward = { to: [], permitFrom: [], envelopeFrom: errorsTo(fwd.get('errorsto'), warnings), stripAttachments: yes(fwd.get('deleteattachments')) };
    const file = /^file:(.+)$/i.exec(forwardTo);
    if (file) {
      const list = files.forwardList?.(file[1].trim());
      if (list === null || list === undefined) {
        warnings.push(`[AutoForward] ForwardTo=${forwardTo}: list file not found; kept as file: ${file[1].trim()}`);
        forward.file = file[1].trim();
      } else forward.to = addressLines(decodeSeedText(list));
    } else forward.to = forwardTo.split(/[,;\s]+/).filter(Boolean);
    if (yes(fwd.get('permitfrom'))) {
      forward.permitFrom = files.permitfrom ? addressLines(decodeSeedText(files.permitfrom)) : [];
      if (!forward.permitFrom.length) warnings.push('[AutoForward] PermitFrom=Yes but PERMITFROM.TXT is missing or empty: nothing would be forwarded; left unrestricted');
    }
    const size = fwd.get('sizelimit');
    if (size !== undefined && size !== '') {
      if (/^\d+$/.test(size)) forward.maxBodyBytes = Number(size);
      else warnings.push(`[AutoForward] SizeLimit=${size}: not a number of bytes, ignored`);
    }
    settings.forward = forward;
  } else if (fwd) warnings.push('[AutoForward] without ForwardTo: nothing to forward');
  const ar = sections.get('autoreply');
  if (ar) {
    const text = files.autorply === undefined ? '' : decodeSeedText(files.autorply).replace(/\r\n/g, '\n');
    if (files.autorply === undefined) warnings.push('[AutoReply] without AUTORPLY.TXT: the reply has no text');
    const echo = yes(ar.get('echomessage')) ? (yes(ar.get('noheaders')) ? 'without-headers' : 'with-headers') : 'none';
    const reply: ResolvedReply = {
      text, echo,
      noReply: files.noreply ? addressLines(decodeSeedText(files.noreply)) : [],
      recordReplies: yes(ar.get('recordreplies')),
      onceOnly: yes(ar.get('noreplyagain')),
      periodDays: 7,
      charset: 'utf-8',
    };
    if (ar.get('subject')) reply.subject = ar.get('subject');
    for (const [key, field] of [['replyfrom', 'from'], ['replyto', 'replyTo']] as const) {
      const v = ar.get(key);
      if (!v) continue;
      if (/^[^@\s<>]+@[^@\s<>]+$/.test(v)) reply[field] = v;
      else warnings.push(`[AutoReply] ${key}=${v}: not an address, ignored`);
    }
    settings.reply = reply;
  }
  const replied = files.replied ? addressLines(decodeSeedText(files.replied)) : [];
  return { settings, replied, warnings };
}
