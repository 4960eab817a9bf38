/**
 * dnsbl (RX-8, the seed's "ORDB" check): refuses clients listed in DNS blocklists, except the
 * addresses never to be checked (the seed's "問い合わせないＩＰ"). The query starts when the
 * client connects and is awaited at MAIL FROM, so it costs the session nothing unless the zone
 * is slower than the greeting and EHLO; it never waits longer than timeoutMs. Authenticated
 * sessions are not refused (submission clients often sit in dynamic ranges).
 */
import { Type } from '@sinclair/typebox';
import ipaddr from 'ipaddr.js';
import { definePlugin } from '../../core/plugin.ts';
import { reject } from '../../core/verdict.ts';
import { DnsblLookup, type Listing } from './lookup.ts';

declare module '../../core/session.ts' {
  interface SessionState {
    dnsbl: { lookup: Promise<Listing | null> };
  }
}

export default definePlugin({
  name: 'dnsbl',
  options: Type.Object({
    /** DNSBL zones, e.g. ['zen.spamhaus.org']. */
    zones: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    /** Client addresses or CIDR ranges never checked. */
    exempt: Type.Array(Type.String(), { default: [] }),
    /** DNS servers (`ip` or `ip:port`); default: the system's. */
    servers: Type.Optional(Type.Array(Type.String())),
    timeoutMs: Type.Integer({ minimum: 50, default: 2000 }),
    cacheTtlMs: Type.Integer({ minimum: 0, default: 600_000 }),
  }),
  setup(api) {
    const o = api.options;
    const exempt = o.exempt.map((e) => (e.includes('/') ? ipaddr.parseCIDR(e) : ipaddr.parseCIDR(`${e}/${ipaddr.parse(e).kind() === 'ipv4' ? 32 : 128}`)));
    const isExempt = (ip: string) => {
      try {
        const a = ipaddr.process(ip);
        return exempt.some((range) => a.kind() === range[0].kind() && a.match(range));
      } catch {
        return false;
      }
    };
    const lookup = new DnsblLookup({ zones: o.zones, servers: o.servers, timeoutMs: o.timeoutMs, cacheTtlMs: o.cacheTtlMs });

    api.hook('connect', ({ conn }) => {
      if (conn.protocol !== 'smtp' || isExempt(conn.remoteAddress)) return;
      conn.state.dnsbl = { lookup: lookup.check(conn.remoteAddress) };
    });

    api.hook('mail', async ({ conn }) => {
      const pending = conn.state.dnsbl;
      if (!pending || conn.user) return;
      const listing = await pending.lookup;
      if (!listing) return;
      conn.log.info({ zone: listing.zone, answer: listing.answer }, 'client listed in DNSBL');
      return reject(`Service unavailable; client host [${conn.remoteAddress}] blocked using ${listing.zone}`, { code: 554, enhanced: '5.7.1' });
    });
  },
});
