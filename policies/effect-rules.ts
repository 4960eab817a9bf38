/**
 * RL-1 … RL-7: the seed's relay-control language (`effect.dat`) as a typed, pure policy.
 *
 * One rule a line, `<pattern>[ <action>]`, first match wins:
 *   pattern  IPv4 with `*` octets (`192.168.*.*`), CIDR (`192.168.1.0/28`, IPv6 too), an exact
 *            IP, a sender domain (`abc.co.jp`), a sender address (`abc@abc.co.jp`), or a
 *            sender token `#blank` `#<>` `#number` `#nodomain` `#host`. Domain and address
 *            patterns are compared with the envelope sender (MAIL FROM), never the network.
 *   action   `true` (the default), `false`, `default`, `norelay`, `norelay,0`, `norelay,2`,
 *            `only` (valid only as the last rule; the seed ignores what follows it).
 *
 * The verdict is the seed manual's matrix (中継の制限 ①), sender {local with account, local
 * without account, external} × recipient {local with account, local without account,
 * external}; see `decideRecipient`. Pure: no I/O, so every cell is a table test.
 */
import { Type, type Static } from '@sinclair/typebox';
import ipaddr from 'ipaddr.js';

export const EFFECT_ACTIONS = ['true', 'false', 'default', 'norelay', 'norelay,0', 'norelay,2', 'only'] as const;
export const EffectActionSchema = Type.Union(EFFECT_ACTIONS.map((a) => Type.Literal(a)));
export type EffectAction = (typeof EFFECT_ACTIONS)[number];

/** One effect.dat line as written in mailserver.config.ts. */
export const EffectRuleSchema = Type.Object({
  /** `192.168.0.*`, `192.168.1.0/28`, `abc.co.jp`, `abc@abc.co.jp`, `#blank`, `#<>`, `#number`, `#nodomain`, `#host`. */
  match: Type.String({ minLength: 1 }),
  /** Absent = `true` (accept, and allow relaying from it). */
  action: Type.Optional(EffectActionSchema),
});
export type EffectRule = Static<typeof EffectRuleSchema>;

export const SENDER_TOKENS = ['#blank', '#<>', '#number', '#nodomain', '#host'] as const;
type SenderToken = (typeof SENDER_TOKENS)[number];

type Matcher =
  | { kind: 'ip'; test: (ip: ipaddr.IPv4 | ipaddr.IPv6) => boolean }
  | { kind: 'sender'; test: (sender: string) => boolean };

export interface CompiledRule {
  index: number;
  rule: EffectRule;
  action: EffectAction;
  matcher: Matcher;
}

export interface CompiledRules {
  rules: CompiledRule[];
  /** True when the last rule is `only`: unlisted sources may only send to local accounts. */
  hasOnly: boolean;
}

/** Thrown for a pattern or rule list the seed would not accept. */
export class EffectRuleError extends Error {
  override name = 'EffectRuleError';
}

const IPV4_WILDCARD = /^(\d{1,3}|\*)\.(\d{1,3}|\*)\.(\d{1,3}|\*)\.(\d{1,3}|\*)$/;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/i;

function domainOf(sender: string): string | null {
  const at = sender.lastIndexOf('@');
  return at < 0 ? null : sender.slice(at + 1).toLowerCase().replace(/\.$/, '');
}

function isIpDomain(domain: string): boolean {
  const bare = domain.replace(/^\[(ipv6:)?/i, '').replace(/\]$/, '');
  return ipaddr.isValid(bare) && (domain.startsWith('[') || ipaddr.IPv4.isValidFourPartDecimal(bare));
}

const TOKEN_TESTS: Record<SenderToken, (sender: string) => boolean> = {
  // The listener refuses MAIL FROM without angle brackets as a syntax error (RFC 5321 §4.1.2),
  // so the seed's "blank" sender reaches the policy only as the null reverse-path.
  '#blank': (s) => s === '',
  '#<>': (s) => s === '',
  '#number': (s) => { const d = domainOf(s); return !!d && isIpDomain(d); },
  '#nodomain': (s) => s !== '' && (domainOf(s) ?? '') === '',
  '#host': (s) => { const d = domainOf(s); return !!d && !d.includes('.') && !isIpDomain(d); },
};

function ipMatcher(pattern: string): Matcher | null {
  const p = pattern.replace(/＊/g, '*');
  const wild = IPV4_WILDCARD.exec(p);
  if (wild) {
    const octets = wild.slice(1, 5);
    if (octets.some((o) => o !== '*' && Number(o) > 255)) throw new EffectRuleError(`"${pattern}": an octet is over 255`);
    return {
      kind: 'ip',
      test: (ip) => ip.kind() === 'ipv4' && (ip as ipaddr.IPv4).octets.every((o, i) => octets[i] === '*' || Number(octets[i]) === o),
    };
  }
  if (p.includes('/')) {
    let range: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      range = ipaddr.parseCIDR(p);
    } catch {
      throw new EffectRuleError(`"${pattern}": not a CIDR range`);
    }
    return { kind: 'ip', test: (ip) => ip.kind() === range[0].kind() && ip.match(range) };
  }
  if (ipaddr.isValid(p) && (p.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(p))) {
    const exact = ipaddr.process(p).toNormalizedString();
    return { kind: 'ip', test: (ip) => ip.toNormalizedString() === exact };
  }
  return null;
}

/** Compiles one pattern; throws EffectRuleError when it is none of the seed's forms. */
export function compilePattern(pattern: string): Matcher {
  if (pattern.startsWith('#')) {
    const token = pattern.toLowerCase() as SenderToken;
    if (!(SENDER_TOKENS as readonly string[]).includes(token)) {
      throw new EffectRuleError(`"${pattern}": unknown token (known: ${SENDER_TOKENS.join(' ')})`);
    }
    return { kind: 'sender', test: TOKEN_TESTS[token] };
  }
  const ip = ipMatcher(pattern);
  if (ip) return ip;
  const lower = pattern.toLowerCase();
  const at = lower.lastIndexOf('@');
  if (at > 0 && DOMAIN.test(lower.slice(at + 1))) return { kind: 'sender', test: (s) => s.toLowerCase() === lower };
  if (at < 0 && DOMAIN.test(lower) && !/^[\d.]+$/.test(lower)) return { kind: 'sender', test: (s) => domainOf(s) === lower };
  throw new EffectRuleError(`"${pattern}": expected an IP pattern (192.168.0.*, 10.0.0.0/8), a domain, an address or a # token`);
}

/**
 * Compiles a rule list. `only` is valid only as the last rule: rules after it are dropped, as
 * the seed ignores them, and reported in `ignored`.
 */
export function compileRules(rules: readonly EffectRule[]): CompiledRules & { ignored: number[] } {
  const out: CompiledRule[] = [];
  const ignored: number[] = [];
  let hasOnly = false;
  for (const [index, rule] of rules.entries()) {
    if (hasOnly) {
      ignored.push(index);
      continue;
    }
    let matcher: Matcher;
    try {
      matcher = compilePattern(rule.match);
    } catch (err) {
      throw new EffectRuleError(`rules[${index}].match: ${(err as Error).message}`);
    }
    const action = rule.action ?? 'true';
    if (action === 'only') hasOnly = true;
    out.push({ index, rule, action, matcher });
  }
  return { rules: out, hasOnly, ignored };
}

/** Normalizes a peer address (IPv4-mapped IPv6 becomes IPv4). */
export function parsePeer(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  try {
    return ipaddr.process(ip);
  } catch {
    return null;
  }
}

/** The first rule that matches this client and sender, or undefined. */
export function firstMatch(compiled: CompiledRules, ip: string, sender: string): CompiledRule | undefined {
  const peer = parsePeer(ip);
  return compiled.rules.find((r) => (r.matcher.kind === 'ip' ? !!peer && r.matcher.test(peer) : r.matcher.test(sender)));
}

/** internal with account, internal without account (a hosted domain), external. */
export type AddressClass = 'local' | 'local-unknown' | 'external';

export interface RelayFacts {
  ip: string;
  /** The envelope sender, '' for the null reverse-path. */
  sender: string;
  senderClass: AddressClass;
  recipientClass: AddressClass;
  /** SMTP AUTH succeeded in this session (RL-7). */
  authenticated: boolean;
  /**
   * Another plugin granted relaying to this session or transaction without SMTP AUTH: a Haraka
   * plugin set `connection.relaying = true` (haraka-plugin-relay's ACL, `relay_acl_allow`).
   */
  relayGranted?: boolean;
}

export interface RelayPolicy {
  compiled: CompiledRules;
  /**
   * The seed's default lets an unauthenticated session relay whenever its envelope sender is
   * a local account (RL-1, "→ext ok"). Off (the secure default), that cell is granted only
   * to clients an explicit rule lists: an IP rule with `default`, or an `only` rule.
   */
  localSenderRelay: boolean;
}

export type RelayRefusal =
  /** `false` rule: nothing is accepted from it. */
  | 'refused'
  /** Relaying to an external recipient is not allowed for this session. */
  | 'relay-denied'
  /** The sender claims a hosted domain but no such account exists (RL-1 row 2). */
  | 'sender-unknown'
  /** Under `only`, a local sender from an unlisted source (RL-5 "elsewhere"). */
  | 'sender-not-listed'
  /** Local recipient without an account (the listener answers 550 5.1.1). */
  | 'no-such-user';

export type RelayDecision =
  | { ok: true; relay: boolean; rule?: CompiledRule }
  | { ok: false; reason: RelayRefusal; rule?: CompiledRule };

/** Whether a matched rule names this client explicitly for the default matrix's relay cell. */
function listed(rule: CompiledRule | undefined): boolean {
  return !!rule && (rule.action === 'only' || (rule.action === 'default' && rule.matcher.kind === 'ip'));
}

/**
 * One cell of the seed's verdict matrices (RL-1 … RL-5, with RL-6 sender rules and RL-7
 * authenticated sessions). See README "Relay control" for the interpretation of each action.
 */
export function decideRecipient(policy: RelayPolicy, f: RelayFacts): RelayDecision {
  const rule = firstMatch(policy.compiled, f.ip, f.sender);
  const no = (reason: RelayRefusal): RelayDecision => ({ ok: false, reason, rule });
  const yes = (): RelayDecision => ({ ok: true, relay: f.recipientClass === 'external', rule });
  if (f.recipientClass === 'local-unknown') return no('no-such-user');
  const action = rule ? rule.action : policy.compiled.hasOnly ? 'unlisted' : 'default';
  if (action === 'false') return no('refused');
  // RL-7: an authenticated session sends as its account, and may relay unless norelay,0
  if (f.authenticated) {
    return f.recipientClass === 'external' && action === 'norelay,0' ? no('relay-denied') : yes();
  }
  // Precedence with a Haraka plugin's `relaying` (as in Haraka, setting it permits relaying): the
  // session counts as if an `IP true` rule named it (RL-2), unless a rule of ours names this
  // client or sender with a refusal — `false` (above, and at MAIL FROM) or any `norelay` form:
  // the operator's own explicit rule wins. Under `only`, an unlisted client the Haraka ACL lists
  // relays: it is listed there. See README "Haraka plugins" (relaying set by a Haraka plugin).
  if (f.relayGranted && !action.startsWith('norelay')) return yes();
  switch (action) {
    case 'true':
      return yes();
    case 'unlisted':
      // RL-5 elsewhere: only external senders to local accounts
      if (f.recipientClass === 'external') return no('relay-denied');
      return f.senderClass === 'external' ? yes() : no(f.senderClass === 'local' ? 'sender-not-listed' : 'sender-unknown');
    case 'norelay':
    case 'norelay,0':
    case 'norelay,2':
      if (f.senderClass === 'local-unknown') return no('sender-unknown');
      if (f.recipientClass === 'local') return yes();
      // norelay,2: the IP goes ahead of SMTP AUTH, so the ※1 cell is accepted without it
      return action === 'norelay,2' && f.senderClass === 'local' ? yes() : no('relay-denied');
    default: // 'default', 'only' (the listed source), or no rule: RL-1
      if (f.senderClass === 'local-unknown') return no('sender-unknown');
      if (f.recipientClass === 'local') return yes();
      return f.senderClass === 'local' && (policy.localSenderRelay || listed(rule)) ? yes() : no('relay-denied');
  }
}

/** Refusal at MAIL FROM: a matching `false` rule refuses the whole transaction (RL-3, RL-6). */
export function decideSender(compiled: CompiledRules, ip: string, sender: string): CompiledRule | null {
  const rule = firstMatch(compiled, ip, sender);
  return rule?.action === 'false' ? rule : null;
}

/** True when the matched rule is `norelay,2`: its sessions need no SMTP AUTH (RX-4 levels 2, 3). */
export function exemptFromAuth(compiled: CompiledRules, ip: string, sender: string): boolean {
  return firstMatch(compiled, ip, sender)?.action === 'norelay,2';
}
