/**
 * The DNS records to publish for each hosted domain: MX (this host), SPF (RFC 7208), the DKIM
 * key's TXT record as `mailserver dkim show` prints it (RFC 6376 §3.6.1), DMARC (RFC 7489 §6.3), and
 * the RFC 6186 SRV records of the running IMAP, POP3 and submission listeners (autoconfig/srv.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Hono } from 'hono';
import { html } from 'hono/html';
import type { Env } from '../deps.ts';
import { keyFile, publicKeyRecord, txtRecordLine } from '../../delivery/dkim.ts';
import { page, table } from '../layout.ts';
import { srvRecords } from '../../autoconfig/srv.ts';

export interface DnsRecord { name: string; type: string; value: string; note?: string }

export function dnsRecords(domain: string, hostname: string, dkim: { dir: string; selector: string }): DnsRecord[] {
  const records: DnsRecord[] = [
    { name: `${domain}.`, type: 'MX', value: `10 ${hostname}.` },
    { name: `${domain}.`, type: 'TXT', value: `"v=spf1 mx -all"`, note: 'SPF' },
  ];
  const file = keyFile(dkim.dir, domain, dkim.selector);
  if (fs.existsSync(file)) {
    const line = txtRecordLine(domain, dkim.selector, publicKeyRecord(fs.readFileSync(file, 'utf8')));
    records.push({ name: `${dkim.selector}._domainkey.${domain}.`, type: 'TXT', value: line.replace(/^\S+\s+IN\s+TXT\s+/, ''), note: 'DKIM' });
  } else records.push({ name: `${dkim.selector}._domainkey.${domain}.`, type: 'TXT', value: '', note: `DKIM: no key (mailserver dkim keygen ${domain})` });
  records.push({ name: `_dmarc.${domain}.`, type: 'TXT', value: `"v=DMARC1; p=quarantine; rua=mailto:postmaster@${domain}"`, note: 'DMARC' });
  return records;
}

export function dnsRoutes(): Hono<Env> {
  const app = new Hono<Env>();
  app.get('/', async (c) => {
    const t = c.get('t');
    const { stores, running, dataDir, clientSettings } = c.get('deps');
    const clients = clientSettings();
    const config = running();
    const dkim = config.delivery.dkim;
    const dir = path.resolve(dataDir, dkim.keysDir);
    const sections = [];
    for (const d of await stores.domains.list()) {
      const srv = srvRecords(d.name, clients).map((r): DnsRecord => ({
        name: r.name, type: 'SRV', value: `${r.priority} ${r.weight} ${r.port} ${r.target}`, note: r.target === '.' ? t('dns.srvNone') : 'RFC 6186',
      }));
      const rows = [...dnsRecords(d.name, config.hostname, { dir, selector: dkim.selector }), ...srv].map((r) => [html`<code>${r.name}</code>`, r.type, r.value ? html`<code class="wrap">${r.value}</code>` : '-', r.note ?? '']);
      sections.push(html`<h2>${d.name}</h2>${table([t('dns.name'), t('dns.type'), t('dns.value'), ''], rows, '')}`);
    }
    return page(c, t('dns.title'), html`<p class="hint">${t('dns.hint')}</p>${sections.length ? sections : html`<p class="empty">${t('domains.none')}</p>`}`);
  });
  return app;
}
