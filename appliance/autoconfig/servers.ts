/**
 * What a mail client needs to know, from the running listeners: for IMAP, POP3 and SMTP
 * submission, the public host name (`autoconfig.host`, else `hostname`), the bound port and
 * the socket type — implicit TLS (`host:port*`) or STARTTLS (the appliance always has TLS
 * material, a self-signed certificate at worst, so every plain listener offers STARTTLS).
 * Order is preference: implicit TLS first (RFC 8314 §3.3), then STARTTLS. For SMTP, the
 * submission listeners (RFC 6409) are the clients' servers; only without any are the MX listeners
 * offered, port 25 last (most client networks block it).
 */
import type { AppConfig } from '../../core/config/schema.ts';
import type { BoundListener } from '../net/session-listeners.ts';

export type SocketType = 'SSL' | 'STARTTLS';

export interface ClientServer {
  protocol: 'imap' | 'pop3' | 'smtp';
  host: string;
  port: number;
  socket: SocketType;
}

export interface ClientSettings {
  /** The host name clients connect to. */
  host: string;
  displayName: string;
  incoming: ClientServer[];
  outgoing: ClientServer[];
}

interface Listeners {
  smtp: { listeners: { port: number; implicitTls: boolean; submission?: boolean }[] };
  pop3: { listeners: BoundListener[] };
  imap: { listeners: BoundListener[] };
}

function rank(protocol: ClientServer['protocol'], l: { port: number; implicitTls: boolean }): number {
  if (l.implicitTls) return 0;
  if (protocol === 'smtp' && l.port === 25) return 2;
  return 1;
}

function servers(protocol: ClientServer['protocol'], host: string, listeners: { port: number; implicitTls: boolean }[]): ClientServer[] {
  const seen = new Set<string>();
  return [...listeners]
    .sort((a, b) => rank(protocol, a) - rank(protocol, b))
    .map((l): ClientServer => ({ protocol, host, port: l.port, socket: l.implicitTls ? 'SSL' : 'STARTTLS' }))
    // a port bound on two addresses (IPv4 and IPv6) is one server for a client
    .filter((s) => !seen.has(`${s.port}`) && !!seen.add(`${s.port}`));
}

export function clientSettings(config: AppConfig, gen: Listeners): ClientSettings {
  const host = config.autoconfig.host ?? config.hostname;
  return {
    host,
    displayName: config.autoconfig.displayName ?? host,
    incoming: [...servers('imap', host, gen.imap.listeners), ...servers('pop3', host, gen.pop3.listeners)],
    outgoing: servers('smtp', host, gen.smtp.listeners.some((l) => l.submission) ? gen.smtp.listeners.filter((l) => l.submission) : gen.smtp.listeners),
  };
}

/** A mailbox address as clients send it: local@domain, bounded, no spaces or markup. */
export function parseEmailAddress(value: string | null | undefined): { address: string; domain: string } | null {
  if (!value || value.length > 254) return null;
  const m = /^([^@\s<>"'&]{1,64})@([A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*)$/.exec(value.trim());
  return m ? { address: `${m[1]}@${m[2].toLowerCase()}`, domain: m[2].toLowerCase() } : null;
}
