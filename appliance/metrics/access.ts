/**
 * Who may read /metrics and /status.json (`metrics.allow`, `metrics.token`): a client whose
 * address is in an allowed range, or one that presents the token as `Authorization: Bearer …`
 * (compared in constant time).
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

const parsed = new Map<string, Range | null>();

function rangeOf(entry: string): Range | null {
  let r = parsed.get(entry);
  if (r !== undefined) return r;
  try {
    r = entry.includes('/') ? ipaddr.parseCIDR(entry) : (() => {
      const a = ipaddr.parse(entry);
      return [a, a.kind() === 'ipv4' ? 32 : 128] as Range;
    })();
  } catch {
    r = null;
  }
  if (parsed.size < 1000) parsed.set(entry, r);
  return r;
}

/** True when `ip` (an IPv4-mapped IPv6 address counts as its IPv4) is in one of `allow`. */
export function addressAllowed(ip: string, allow: readonly string[]): boolean {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(ip);
  } catch {
    return false;
  }
  return allow.some((entry) => {
    const range = rangeOf(entry);
    return !!range && range[0].kind() === addr.kind() && addr.match(range);
  });
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const given = crypto.createHash('sha256').update(m[1]).digest();
  const wanted = crypto.createHash('sha256').update(token).digest();
  return crypto.timingSafeEqual(given, wanted);
}

export type Access = 'ok' | 'no-token' | 'bad-token' | 'address';

/** May this request read the protected routes? */
export function checkAccess(req: http.IncomingMessage, o: { allow: readonly string[]; token?: string }): Access {
  if (addressAllowed(req.socket.remoteAddress ?? '', o.allow)) return 'ok';
  if (!o.token) return 'address';
  if (!req.headers.authorization) return 'no-token';
  return tokenMatches(req.headers.authorization, o.token) ? 'ok' : 'bad-token';
}

/** 401 (a token would do) or 403 (only the address list, and this address is not on it). */
export function refuse(res: http.ServerResponse, why: Exclude<Access, 'ok'>): void {
  const status = why === 'address' ? 403 : 401;
  const text = why === 'address' ? 'Forbidden: this address is not in metrics.allow\n' : 'Unauthorized: a bearer token (metrics.token) is required\n';
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) };
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="mailserver metrics"';
  res.writeHead(status, headers);
  res.end(text);
}
