/**
 * RFC 6186 service records, so a client that knows only the address finds the servers: for each
 * of IMAP, POP3 and submission, one SRV record per offered listener — `_imaps`, `_pop3s` and
 * `_submissions` (RFC 8314 §5.1) for implicit TLS, preferred (lower priority, RFC 8314 §5.1 and
 * RFC 6186 §3.4), `_imap`, `_pop3` and `_submission` for STARTTLS — and for a service not
 * offered the "." target that says so (RFC 6186 §4, RFC 2782), so clients do not probe it.
 */
import type { ClientServer, ClientSettings } from './servers.ts';

export interface SrvRecord {
  name: string;
  priority: number;
  weight: number;
  port: number;
  /** `host.` or `.` (service not offered). */
  target: string;
}

const SERVICES: { protocol: ClientServer['protocol']; tls: string; starttls: string }[] = [
  { protocol: 'imap', tls: '_imaps', starttls: '_imap' },
  { protocol: 'pop3', tls: '_pop3s', starttls: '_pop3' },
  { protocol: 'smtp', tls: '_submissions', starttls: '_submission' },
];

export function srvRecords(domain: string, settings: ClientSettings): SrvRecord[] {
  const all = [...settings.incoming, ...settings.outgoing];
  const out: SrvRecord[] = [];
  for (const s of SERVICES) {
    for (const [service, socket, priority] of [[s.tls, 'SSL', 0], [s.starttls, 'STARTTLS', 10]] as const) {
      const offered = all.filter((x) => x.protocol === s.protocol && x.socket === socket);
      const name = `${service}._tcp.${domain}.`;
      if (!offered.length) out.push({ name, priority: 0, weight: 0, port: 0, target: '.' });
      else offered.forEach((x, i) => out.push({ name, priority: priority + i, weight: 1, port: x.port, target: `${x.host}.` }));
    }
  }
  return out;
}
