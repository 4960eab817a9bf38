/**
 * Sender Rewriting Scheme (SRS0, the Shevek/libsrs2 draft): a forward keeps the original sender
 * reachable for bounces while its envelope sender is in the forwarding domain, so the next hop's
 * SPF check of the forwarding host passes.
 *   SRS0=HHHH=TT=orig-domain=orig-local@forwarding-domain
 * HHHH: the first 4 base64 characters of HMAC-SHA1(secret, TT + orig-domain + orig-local), with
 * the address lower-cased; TT: days since the epoch mod 1024 in two base32 characters. Pure.
 */
import crypto from 'node:crypto';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const DAY_MS = 24 * 3600 * 1000;

function stamp(now: Date): string {
  const days = Math.floor(now.getTime() / DAY_MS) % 1024;
  return B32[days >> 5] + B32[days & 31];
}

function hash(secret: string, ...parts: string[]): string {
  return crypto.createHmac('sha1', secret).update(parts.join('').toLowerCase()).digest('base64').slice(0, 4);
}

export function srsEncode(sender: string, forwardingDomain: string, secret: string, now = new Date()): string {
  const at = sender.lastIndexOf('@');
  const local = sender.slice(0, at);
  const domain = sender.slice(at + 1);
  const tt = stamp(now);
  return `SRS0=${hash(secret, tt, domain, local)}=${tt}=${domain}=${local}@${forwardingDomain}`;
}

/**
 * The original sender of an SRS0 address, or null when it is not one of ours (bad hash) or
 * older than `maxAgeDays`. The hash is compared without case: some hops lower-case addresses.
 */
export function srsDecode(address: string, secret: string, opts: { now?: Date; maxAgeDays?: number } = {}): string | null {
  const at = address.lastIndexOf('@');
  const m = /^SRS0[=+-]([^=]{4})=([A-Z2-7]{2})=([^=]+)=(.+)$/i.exec(address.slice(0, at));
  if (!m) return null;
  const [, h, tt, domain, local] = m;
  if (hash(secret, tt.toUpperCase(), domain, local).toLowerCase() !== h.toLowerCase()) return null;
  const then = (B32.indexOf(tt[0].toUpperCase()) << 5) | B32.indexOf(tt[1].toUpperCase());
  const today = Math.floor((opts.now ?? new Date()).getTime() / DAY_MS) % 1024;
  if ((today - then + 1024) % 1024 > (opts.maxAgeDays ?? 21)) return null;
  return `${local}@${domain}`;
}

export const isSrs = (address: string) => /^SRS[01][=+-]/i.test(address);
