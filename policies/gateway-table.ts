/**
 * TX-4: the per-domain gateway table, in the seed's format (manual, "SMTPゲートウェイ" →
 * "テーブル編集"): one rule a line,
 *
 *   <recipient domain with * wildcards>,<gateway host or IP>,<port; 465* = implicit TLS>
 *
 * A line starting with `'` or a blank is a comment. Rules are tried in order; the first match
 * wins. Pure: the appliance reads the file and the config, this module parses and matches.
 */
import type { Static } from '@sinclair/typebox';
import type { GatewayRule as GatewayRuleSchema } from '../core/config/delivery.ts';

export type GatewayRule = Static<typeof GatewayRuleSchema>;

export class GatewayTableError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'GatewayTableError';
  }
}

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)$/;
const DOMAIN_PATTERN = /^[A-Za-z0-9*_.-]+$/;

/** Parses one `host[:port[*]]` gateway spec (the config's `delivery.gateway`). */
export function parseGatewaySpec(spec: string): { host: string; port: number | null; tls: boolean } {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:]+)(?::(\d{1,5})(\*?))?$/.exec(spec.trim());
  if (!m || !HOST.test(m[1])) throw new Error(`bad gateway ${JSON.stringify(spec)}: expected host, host:port or host:port* (implicit TLS)`);
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && (port < 1 || port > 65535)) throw new Error(`bad gateway port in ${JSON.stringify(spec)}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port, tls: m[3] === '*' };
}

/** Parses a gateway table file; throws GatewayTableError naming the line of the first bad rule. */
export function parseGatewayTable(text: string): GatewayRule[] {
  const rules: GatewayRule[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw === '' || raw.startsWith("'") || raw.startsWith(' ') || raw.startsWith('\t')) return;
    const line = raw.replace(/^\uFEFF/, '');
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length < 2 || fields.length > 3) throw new GatewayTableError(i + 1, `expected domain,host,port (got ${JSON.stringify(line)})`);
    const [domain, host, portField = '25'] = fields;
    if (!DOMAIN_PATTERN.test(domain)) throw new GatewayTableError(i + 1, `bad domain pattern ${JSON.stringify(domain)}`);
    if (!HOST.test(host)) throw new GatewayTableError(i + 1, `bad gateway host ${JSON.stringify(host)}`);
    const pm = /^(\d{1,5})(\*?)$/.exec(portField);
    const port = pm ? Number(pm[1]) : NaN;
    if (!pm || port < 1 || port > 65535) throw new GatewayTableError(i + 1, `bad port ${JSON.stringify(portField)} (a number, with * for implicit TLS)`);
    rules.push({ domain: domain.toLowerCase(), host: host.replace(/^\[|\]$/g, ''), port, tls: pm[2] === '*' });
  });
  return rules;
}

/** Writes rules back in the seed's format. */
export function formatGatewayTable(rules: GatewayRule[]): string {
  return rules.map((r) => `${r.domain},${r.host},${r.port}${r.tls ? '*' : ''}\n`).join('');
}

const patternCache = new Map<string, RegExp>();

/** `*` matches any run of characters (dots included), as in the seed's `01*.xxxx.co.jp`. */
export function domainMatches(pattern: string, domain: string): boolean {
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.toLowerCase().split('*').map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*')}$`);
    patternCache.set(pattern, re);
  }
  return re.test(domain.toLowerCase());
}

/** The first rule whose pattern matches the recipient domain, or null. */
export function matchGateway(rules: GatewayRule[], domain: string): GatewayRule | null {
  for (const r of rules) if (domainMatches(r.domain, domain)) return r;
  return null;
}
