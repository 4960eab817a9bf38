/**
 * The seed's mail filter language (`mail.dat`, MF-1 … MF-3, AC-6) as typed rules, its importer,
 * and the pure matcher over a decoded message (see mail-dat-decode.ts).
 *
 *   Virus:<name>                      starts a rule        VirusEnd:   ends it
 *   Received:/Subject:/From:/To:/Content-Type:/X-Mailer:/X-UIDL:<token>   header contains token
 *   Unique-Header:<header>:<token>    any header           (token `#blank`: absent or empty)
 *   Body: … BodyEnd:                  up to 5 lines, each must occur in the decoded body
 *   RBL:[URIBL ]<zone>                a domain of a URL in the body is listed in the URI blocklist
 *   Level:<3 digits>  Tag:<text>  Forward:<address>  Folder:<path>  Warning: … WarningEnd: (≤ 5 lines)
 *   ' comment
 * Every condition of a rule must hold (AND); a rule without conditions never matches; the first
 * matching rule wins. Tokens match case-insensitively as substrings.
 */
import { Type, type Static } from '@sinclair/typebox';

export const BLANK = '#blank';

export const HeaderConditionSchema = Type.Object({
  /** Header name, e.g. `Subject` or `X-Spam`. */
  header: Type.String({ minLength: 1 }),
  /** Substring to find in the decoded value, or `#blank` (absent or empty). */
  token: Type.String(),
});
export type HeaderCondition = Static<typeof HeaderConditionSchema>;

export const FilterLevelSchema = Type.Object({
  /** Hundreds digit: 0 pass, 1 reject, 2 warning, 3 subject tag, 4 header tag, 5 forward, 6 = 3+5, 7 = 4+5. */
  action: Type.Integer({ minimum: 0, maximum: 7 }),
  /** Tens digit: keep a copy in `folder` (default viruslog). */
  keepCopy: Type.Boolean(),
  /** Units digit: add the sending IP to the refused IPs of the relay rules. */
  banIp: Type.Boolean(),
});
export type FilterLevel = Static<typeof FilterLevelSchema>;

export const FilterRuleSchema = Type.Object({
  name: Type.String(),
  headers: Type.Optional(Type.Array(HeaderConditionSchema)),
  /** Lines that must each occur in the decoded body. */
  body: Type.Optional(Type.Array(Type.String(), { maxItems: 5 })),
  /** URI blocklist zone (e.g. multi.surbl.org). */
  rbl: Type.Optional(Type.String({ minLength: 1 })),
  level: FilterLevelSchema,
  tag: Type.Optional(Type.String()),
  forward: Type.Optional(Type.String()),
  folder: Type.Optional(Type.String()),
  warning: Type.Optional(Type.Array(Type.String(), { maxItems: 5 })),
});
export type FilterRule = Static<typeof FilterRuleSchema>;
/** A rule as the parser makes it: the lists are always there. */
export type ParsedRule = FilterRule & { headers: HeaderCondition[]; body: string[]; warning: string[] };

const HEADER_KEYS = ['received', 'subject', 'from', 'to', 'content-type', 'x-mailer', 'x-uidl'];
const CANONICAL: Record<string, string> = {
  received: 'Received', subject: 'Subject', from: 'From', to: 'To', 'content-type': 'Content-Type', 'x-mailer': 'X-Mailer', 'x-uidl': 'X-UIDL',
};

/** `Level:n` → digits; fewer than three digits are padded on the left (`Level:1` = 001). */
export function parseLevel(text: string): FilterLevel | null {
  const t = text.trim();
  if (!/^\d{1,3}$/.test(t)) return null;
  const [h, te, u] = t.padStart(3, '0').split('').map(Number);
  if (h > 7) return null;
  return { action: h, keepCopy: te === 1, banIp: u === 1 };
}

export function formatLevel(l: FilterLevel): string {
  return `${l.action}${l.keepCopy ? 1 : 0}${l.banIp ? 1 : 0}`;
}

export interface ParsedMailDat {
  rules: ParsedRule[];
  warnings: string[];
}

/** Parses a mail.dat text (already decoded to a string). Unknown lines are warned about and skipped. */
export function parseMailDat(text: string): ParsedMailDat {
  const rules: ParsedRule[] = [];
  const warnings: string[] = [];
  let cur: ParsedRule | null = null;
  let block: 'body' | 'warning' | null = null;
  let levelSeen = false;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.replace(/\s+$/, '');
    if (block && cur) {
      const endTag = block === 'body' ? /^\s*BodyEnd:\s*$/i : /^\s*WarningEnd:\s*$/i;
      if (endTag.test(line)) return void (block = null);
      const list = block === 'body' ? cur.body : cur.warning;
      if (block === 'body' && !line.trim()) return;
      if (list.length >= 5) return void warnings.push(`line ${n}: more than 5 ${block} lines, ignored`);
      list.push(block === 'body' ? line.trim() : line);
      return;
    }
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith("'")) return;
    const m = /^([A-Za-z-]+):(.*)$/.exec(trimmed);
    if (!m) return void warnings.push(`line ${n}: not understood: ${trimmed}`);
    const key = m[1].toLowerCase();
    const value = m[2].trim();
    if (key === 'virus') {
      if (cur) warnings.push(`line ${n}: rule "${cur.name}" has no VirusEnd:`), finish();
      cur = { name: value, headers: [], body: [], warning: [], level: { action: 0, keepCopy: false, banIp: false } };
      levelSeen = false;
      return;
    }
    if (!cur) return void warnings.push(`line ${n}: ${m[1]}: outside a Virus: block`);
    if (key === 'virusend') return void finish();
    if (HEADER_KEYS.includes(key)) return void cur.headers.push({ header: CANONICAL[key], token: value });
    switch (key) {
      case 'unique-header': {
        const c = value.indexOf(':');
        if (c <= 0) return void warnings.push(`line ${n}: Unique-Header needs <header>:<token>`);
        return void cur.headers.push({ header: value.slice(0, c).trim(), token: value.slice(c + 1).trim() });
      }
      case 'body': block = 'body'; return;
      case 'warning': block = 'warning'; return;
      case 'rbl': cur.rbl = value.replace(/^URIBL\s+/i, '').trim(); return;
      case 'level': {
        const l = parseLevel(value);
        if (!l) return void warnings.push(`line ${n}: Level:${value} is not 0xx … 7xx`);
        cur.level = l;
        levelSeen = true;
        return;
      }
      case 'tag': cur.tag = value; return;
      case 'forward': cur.forward = value; return;
      case 'folder': cur.folder = value; return;
      default: warnings.push(`line ${n}: unknown item ${m[1]}:`);
    }
  });
  function finish() {
    const r = cur!;
    cur = null;
    block = null;
    if (!levelSeen) warnings.push(`rule "${r.name}": no Level:, 000 (pass) assumed`);
    if (!r.headers.length && !r.body.length && !r.rbl) warnings.push(`rule "${r.name}": no condition, never matches`);
    if ([3, 4, 6, 7].includes(r.level.action) && !r.tag) warnings.push(`rule "${r.name}": Level ${formatLevel(r.level)} needs Tag:`);
    if ([5, 6, 7].includes(r.level.action) && !r.forward) warnings.push(`rule "${r.name}": Level ${formatLevel(r.level)} needs Forward:`);
    rules.push(r);
  }
  if (cur) warnings.push(`rule "${(cur as ParsedRule).name}" has no VirusEnd:`), finish();
  return { rules, warnings };
}

/** A message as the matcher sees it: decoded header values by lower-cased name, decoded body text. */
export interface DecodedMessage {
  headers: Map<string, string[]>;
  body: string;
  /** Domains of the URLs in the body (for RBL:). */
  uriDomains: string[];
}

function headerMatches(msg: DecodedMessage, c: HeaderCondition): boolean {
  const values = msg.headers.get(c.header.toLowerCase()) ?? [];
  if (c.token.toLowerCase() === BLANK) return values.every((v) => !v.trim());
  const token = c.token.toLowerCase();
  return values.some((v) => v.toLowerCase().includes(token));
}

/** Whether the local conditions (headers, body) of a rule hold; RBL is asked separately. */
export function matchesLocally(rule: FilterRule, msg: DecodedMessage): boolean {
  const headers = rule.headers ?? [];
  const lines = rule.body ?? [];
  if (!headers.length && !lines.length && !rule.rbl) return false;
  if (!headers.every((c) => headerMatches(msg, c))) return false;
  const body = msg.body.toLowerCase();
  return lines.every((line) => body.includes(line.toLowerCase()));
}

/**
 * The first rule that matches. `listed(zone)` answers whether a URI domain of the body is on
 * that blocklist; it is only asked for rules whose other conditions hold.
 */
export async function firstMatch(
  rules: FilterRule[], msg: DecodedMessage, listed: (zone: string, domains: string[]) => Promise<boolean>,
): Promise<FilterRule | null> {
  for (const rule of rules) {
    if (!matchesLocally(rule, msg)) continue;
    if (rule.rbl && !(msg.uriDomains.length && (await listed(rule.rbl, msg.uriDomains)))) continue;
    return rule;
  }
  return null;
}
