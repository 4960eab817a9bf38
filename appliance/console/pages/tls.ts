/** The TLS certificate the listeners present: subject, issuer, validity, names, and how long until it expires. */
import crypto from 'node:crypto';
import { Hono } from 'hono';
import { html } from 'hono/html';
import type { Env } from '../deps.ts';
import { page, table } from '../layout.ts';

export interface CertSummary { subject: string; issuer: string; validFrom: Date; validTo: Date; names: string; fingerprint: string; daysLeft: number }

/** Every certificate of a PEM chain, leaf first. */
export function certificates(pem: Buffer, now = Date.now()): CertSummary[] {
  const blocks = pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.slice(0, 10).map((b) => {
    const x = new crypto.X509Certificate(b);
    const validTo = new Date(x.validTo);
    return {
      subject: x.subject.replace(/\n/g, ', '), issuer: x.issuer.replace(/\n/g, ', '), validFrom: new Date(x.validFrom), validTo,
      names: x.subjectAltName ?? '', fingerprint: x.fingerprint256, daysLeft: Math.floor((validTo.getTime() - now) / 86_400_000),
    };
  });
}

export function tlsRoutes(): Hono<Env> {
  const app = new Hono<Env>();
  app.get('/', (c) => {
    const t = c.get('t');
    const material = c.get('deps').tls();
    const certs = certificates(material.cert);
    const rows = certs.map((x, i) => [i ? t('tls.chain') : t('tls.leaf'), x.subject, x.issuer, x.validFrom.toISOString().slice(0, 10),
      html`<span class="${x.daysLeft < 14 ? 'state failed' : x.daysLeft < 30 ? 'state deferred' : ''}">${x.validTo.toISOString().slice(0, 10)} (${t('tls.daysLeft', { n: x.daysLeft })})</span>`, x.names, html`<code class="wrap">${x.fingerprint}</code>`]);
    return page(c, t('tls.title'), html`
${material.selfSigned ? html`<p class="flash error">${t('tls.selfSigned')}</p>` : ''}
${table([t('tls.which'), t('tls.subject'), t('tls.issuer'), t('tls.from'), t('tls.to'), t('tls.names'), 'SHA-256'], rows, t('tls.none'), 'certs')}`);
  });
  return app;
}
