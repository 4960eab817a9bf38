/**
 * SPF, DKIM and DMARC of one message with mailauth's verifiers, composed into Received-SPF
 * and an RFC 8601 Authentication-Results field the way mailauth's authenticate() does. That
 * function itself is not used: its module loads mailauth's BIMI code, whose HTTP client
 * (undici 8) needs Node 22, and this appliance runs on Node 20.
 */
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { spf } from 'mailauth/lib/spf/index.js';
import { evaluateDmarc } from 'mailauth/lib/dmarc/index.js';
import type { DMARCResult } from 'mailauth';

export type Resolver = (name: string, rr: string) => Promise<unknown>;

export interface MailAuthResult {
  /** Header fields to add, in order. */
  headers: { name: string; value: string }[];
  spf: string | null;
  dmarc: DMARCResult | false;
}

/** RFC 8601 §2.5: the authserv-id is a token, else a quoted string. */
const authservId = (mta: string) => (/^[A-Za-z0-9.-]+$/.test(mta) ? mta : `"${mta.replace(/["\\]/g, '\\$&')}"`);

export async function checkMessage(message: Buffer, o: { ip: string; helo: string; sender: string; mta: string; resolver: Resolver }): Promise<MailAuthResult> {
  const resolver = o.resolver as never;
  const dkim = await dkimVerify(message, { resolver, sender: o.sender });
  const helo = o.helo || `[${o.ip}]`;
  const spfResult = await spf({ ip: o.ip, helo, sender: o.sender, mta: o.mta, resolver });
  const parts: string[] = (dkim.results ?? []).map((r) => r.info);
  if (spfResult) parts.push(spfResult.info);
  let dmarc: DMARCResult | false = false;
  const d = dkim as unknown as { headerFrom?: string[]; fromFields?: unknown };
  if (d.headerFrom) {
    const evaluated = await evaluateDmarc({
      headerFrom: d.headerFrom,
      fromFields: d.fromFields,
      spfDomains: spfResult && spfResult.status.result === 'pass' && spfResult.domain ? [spfResult.domain] : [],
      dkimDomains: (dkim.results ?? []).filter((r) => r.status.result === 'pass')
        .map((r) => ({ id: r.id, domain: r.signingDomain, aligned: r.status.aligned, underSized: r.status.underSized })),
      resolver,
    } as never);
    dmarc = evaluated.response;
    if (dmarc && dmarc.info) parts.push(dmarc.info);
  }
  const headers: { name: string; value: string }[] = [];
  const received = spfResult && (spfResult as unknown as { header?: string }).header;
  if (received) headers.push({ name: 'Received-SPF', value: received.replace(/^Received-SPF:\s*/i, '').replace(/\r?\n$/, '') });
  headers.push({ name: 'Authentication-Results', value: `${authservId(o.mta)};\r\n ${parts.join(';\r\n ')}` });
  return { headers, spf: spfResult ? spfResult.status.result : null, dmarc };
}
