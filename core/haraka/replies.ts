/**
 * Haraka return codes -> Verdict, in one table (DESIGN.md convention 5). The default reply
 * codes and texts per hook are those of Haraka's connection.js `<hook>_respond` methods:
 * e.g. rcpt DENY -> 550 "recipient <x> denied", DENYSOFT -> 450; data DENY -> 554;
 * data_post DENY -> 550; connect DENY -> 554, DENYSOFT -> 421.
 *
 * The message a plugin gives to next() may be a string, an array of lines (a multi-line reply;
 * joined with "\n" here, the listener writes one reply line per "\n"), or a haraka-dsn object
 * ({ code, msg, cls, sub, det }), whose code and enhanced status replace the defaults. A
 * string that starts with an enhanced status code ("5.7.1 ...") gives it to the verdict.
 */
import type { Verdict } from '../verdict.ts';
import { CONT, DELAY, DENY, DENYDISCONNECT, DENYSOFT, DENYSOFTDISCONNECT, DISCONNECT, NEXT_HOOK, OK, STOP } from './constants.ts';

type Text = string | ((subject: string) => string);
type Reply = readonly [code: number, text: Text];

interface HookReplies {
  deny: Reply;
  denysoft: Reply;
  /** Defaults to `deny`. */
  denydisconnect?: Reply;
  /** Defaults to `denysoft`. */
  denysoftdisconnect?: Reply;
  /** DISCONNECT; defaults to 421 "closing connection". */
  disconnect?: Reply;
  /** Text of an OK without message (vrfy, queue). */
  ok?: string;
}

const connectReplies: HookReplies = {
  deny: [554, 'Your mail is not welcome here'],
  denysoft: [421, 'Come back later'],
  disconnect: [554, 'Your mail is not welcome here'],
};

/** Per Haraka hook name; hooks not listed use DEFAULT_REPLIES. */
export const REPLIES: Readonly<Record<string, HookReplies>> = {
  connect_init: connectReplies,
  connect: connectReplies,
  lookup_rdns: {
    deny: [554, 'rDNS Lookup Failed'],
    denysoft: [421, 'rDNS Temporary Failure'],
    disconnect: [554, 'rDNS Lookup Failed'],
  },
  helo: { deny: [550, 'HELO denied'], denysoft: [450, 'HELO denied'] },
  ehlo: { deny: [550, 'EHLO denied'], denysoft: [450, 'EHLO denied'] },
  mail: { deny: [550, (s) => `${s} denied`], denysoft: [450, (s) => `${s} denied`] },
  rcpt: { deny: [550, (s) => `${s} denied`], denysoft: [450, (s) => `${s} denied`] },
  data: { deny: [554, 'Message denied'], denysoft: [451, 'Message denied'] },
  data_post: { deny: [550, 'Message denied'], denysoft: [450, 'Message denied temporarily'] },
  queue: { deny: [550, 'Message denied'], denysoft: [450, 'Message denied temporarily'], ok: 'Message Queued' },
  queue_outbound: { deny: [550, 'Message denied'], denysoft: [450, 'Message denied temporarily'], ok: 'Message Queued' },
  vrfy: { deny: [550, 'Access Denied'], denysoft: [450, 'Lookup Failed'], ok: 'User OK' },
  noop: { deny: [500, 'Stop wasting my time'], denysoft: [450, 'Stop wasting my time'] },
  unrecognized_command: {
    deny: [500, 'Unrecognized command'],
    denysoft: [450, 'Unrecognized command'],
    denydisconnect: [521, 'Unrecognized command'],
    denysoftdisconnect: [421, 'Unrecognized command'],
  },
};

export const DEFAULT_REPLIES: HookReplies = { deny: [550, 'Denied'], denysoft: [450, 'Denied temporarily'] };

/** Hooks whose answer Haraka ignores (it replies the same whatever the plugins say). */
export const VERDICT_IGNORED: ReadonlySet<string> = new Set(['rset', 'quit', 'disconnect', 'queue_ok']);

interface Normalized {
  text?: string;
  code?: number;
  enhanced?: string;
}

function isDsn(msg: object): msg is { code: number; msg?: string; default_msg?: string; cls?: number; sub?: number; det?: number; reply?: string } {
  const m = msg as Record<string, unknown>;
  return typeof m.code === 'number' && (typeof m.reply === 'string' || 'cls' in m);
}

/** A plugin's message as text plus the code/enhanced status it carries, if any. */
export function normalizeMessage(msg: unknown): Normalized {
  if (msg === undefined || msg === null || msg === '') return {};
  if (typeof msg === 'object' && !Array.isArray(msg) && !(msg instanceof Error) && isDsn(msg)) {
    const enhanced = msg.cls !== undefined ? `${msg.cls}.${msg.sub ?? 0}.${msg.det ?? 0}` : undefined;
    const text = msg.msg || msg.default_msg || msg.reply?.replace(/^\d\.\d{1,3}\.\d{1,3}\s*/, '') || undefined;
    return { text, code: msg.code, enhanced };
  }
  let text: string;
  if (Array.isArray(msg)) text = msg.map(String).filter((l) => /\S/.test(l)).join('\n');
  else if (msg instanceof Error) text = msg.message;
  else text = String(msg);
  return text ? { text } : {};
}

function pick(replies: HookReplies, code: number): Reply {
  switch (code) {
    case DENY:
      return replies.deny;
    case DENYSOFT:
      return replies.denysoft;
    case DENYDISCONNECT:
      return replies.denydisconnect ?? replies.deny;
    case DENYSOFTDISCONNECT:
      return replies.denysoftdisconnect ?? replies.denysoft;
    default:
      return replies.disconnect ?? [421, 'closing connection'];
  }
}

export type CodeOutcome = { verdict: Verdict; known: boolean };

/**
 * Maps one Haraka answer to a verdict. `subject` fills the default texts of mail/rcpt
 * ("sender <a@b>"). CONT, STOP, NEXT_HOOK, DELAY and unknown codes give `next` (`known` is
 * false for unknown codes so the caller can log them).
 */
export function codeToVerdict(hook: string, code: number, msg: unknown, subject = ''): CodeOutcome {
  if (VERDICT_IGNORED.has(hook)) return { verdict: { kind: 'next' }, known: true };
  const replies = REPLIES[hook] ?? DEFAULT_REPLIES;
  const m = normalizeMessage(msg);
  if (code === OK) {
    const message = m.text ?? replies.ok;
    return { verdict: message === undefined ? { kind: 'accept' } : { kind: 'accept', message }, known: true };
  }
  if (code === DENY || code === DENYSOFT || code === DENYDISCONNECT || code === DENYSOFTDISCONNECT || code === DISCONNECT) {
    const [defCode, defText] = pick(replies, code);
    const replyCode = m.code ?? defCode;
    let text = m.text ?? (typeof defText === 'function' ? defText(subject) : defText);
    let enhanced = m.enhanced;
    const lead = /^([245])\.(\d{1,3})\.(\d{1,3})\s+/.exec(text);
    if (!enhanced && lead && lead[1] === String(replyCode)[0]) {
      enhanced = `${lead[1]}.${lead[2]}.${lead[3]}`;
      text = text.slice(lead[0].length);
    }
    const kind = code === DENY || code === DENYSOFT ? 'reject' : 'disconnect';
    const verdict: Verdict = { kind, permanent: replyCode >= 500, message: text, code: replyCode, ...(enhanced ? { enhanced } : {}) };
    return { verdict, known: true };
  }
  const known = code === CONT || code === STOP || code === NEXT_HOOK || code === DELAY;
  return { verdict: { kind: 'next' }, known };
}
