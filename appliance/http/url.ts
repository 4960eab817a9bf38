/** Base URLs of bound HTTP listeners. */
import type { ListenerSpec } from '../net/listener-spec.ts';

/**
 * `http(s)://host:port` of a listener. A wildcard address (0.0.0.0, ::) is not a place a client
 * can go: `wildcardHost` stands in for it (the appliance's hostname in mail, loopback locally).
 * Default ports are left out (RFC 3986 §6.2.3).
 */
export function baseUrl(l: Pick<ListenerSpec, 'host' | 'implicitTls'> & { port: number }, wildcardHost: string): string {
  const scheme = l.implicitTls ? 'https' : 'http';
  let host = l.host === '0.0.0.0' || l.host === '::' || l.host === '[::]' ? wildcardHost : l.host;
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  const port = (l.implicitTls && l.port === 443) || (!l.implicitTls && l.port === 80) ? '' : `:${l.port}`;
  return `${scheme}://${host}${port}`;
}
