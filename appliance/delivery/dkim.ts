/**
 * DKIM (RFC 6376) signing of outgoing mail with mailauth. One key per hosted domain, made by
 * `mailserver dkim keygen DOMAIN` and kept as <data>/<keysDir>/<domain>.<selector>.key (PEM,
 * mode 0600); the DNS TXT record to publish is printed by keygen and by `dkim show`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { inlineWork, type WorkPort } from '../../core/work.ts';
import { SIGN_TASK, type SignInput } from './dkim-task.ts';
import { defaultDKIMFieldNames } from 'mailauth/lib/tools.js';

/**
 * mailauth's default signed fields plus List-Unsubscribe-Post: RFC 8058 §4 requires the DKIM
 * signature to cover both List-Unsubscribe and List-Unsubscribe-Post for one-click unsubscribe.
 */
const SIGNED_FIELDS = `${defaultDKIMFieldNames}:List-Unsubscribe-Post`;

export interface DkimKey {
  domain: string;
  selector: string;
  privateKey: string;
}

export function keyFile(dir: string, domain: string, selector: string): string {
  return path.join(dir, `${domain.toLowerCase()}.${selector}.key`);
}

/** The public key of a private PEM key as the TXT record's p= value (base64 SPKI DER). */
export function publicKeyRecord(privateKeyPem: string): string {
  const der = crypto.createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  return `v=DKIM1; k=rsa; p=${der.toString('base64')}`;
}

/** `selector._domainkey.domain. IN TXT ( "..." "..." )` — split in 255-byte strings (RFC 4408 §3.1.3 style). */
export function txtRecordLine(domain: string, selector: string, record: string): string {
  const chunks = record.match(/.{1,250}/g) ?? [];
  return `${selector}._domainkey.${domain}. IN TXT ( ${chunks.map((c) => `"${c}"`).join(' ')} )`;
}

export function generateKey(dir: string, domain: string, selector: string, bits = 2048): { file: string; record: string } {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: bits, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = keyFile(dir, domain, selector);
  fs.writeFileSync(file, privateKey, { mode: 0o600 });
  return { file, record: publicKeyRecord(privateKey) };
}

/** The domain of the first From: address of a message (what DMARC aligns with). */
export function fromDomain(message: Buffer): string | null {
  const end = message.indexOf('\r\n\r\n');
  const head = message.subarray(0, end < 0 ? Math.min(message.length, 65536) : end).toString('latin1').replace(/\r\n[ \t]+/g, ' ');
  const line = /^from:(.*)$/im.exec(head);
  if (!line) return null;
  const angle = /<[^>]*@([^>\s]+)>/.exec(line[1]);
  const bare = /@([A-Za-z0-9.-]+)/.exec(line[1]);
  return (angle?.[1] ?? bare?.[1] ?? null)?.toLowerCase() ?? null;
}

/** Keys on disk, looked up per message (read again when a file changes). */
export class DkimSigner {
  private readonly cache = new Map<string, { mtimeMs: number; key: string } | null>();
  private checkedAt = new Map<string, number>();

  /** `work`: where the hashing and signing run (the process's work threads; inline by default). */
  constructor(private readonly dir: string, private readonly selector: string, private readonly work: WorkPort = inlineWork) {}

  key(domain: string): DkimKey | null {
    const file = keyFile(this.dir, domain, this.selector);
    const now = Date.now();
    if ((this.checkedAt.get(file) ?? 0) > now - 5000 && this.cache.has(file)) {
      const hit = this.cache.get(file);
      return hit ? { domain, selector: this.selector, privateKey: hit.key } : null;
    }
    this.checkedAt.set(file, now);
    let stat: fs.Stats | null = null;
    try {
      stat = fs.statSync(file);
    } catch {
      this.cache.set(file, null);
      return null;
    }
    const known = this.cache.get(file);
    if (!known || known.mtimeMs !== stat.mtimeMs) this.cache.set(file, { mtimeMs: stat.mtimeMs, key: fs.readFileSync(file, 'utf8') });
    return { domain, selector: this.selector, privateKey: this.cache.get(file)!.key };
  }

  /**
   * Prepends a DKIM-Signature for the domain of the From: header (or else of the envelope
   * sender) when this node holds a key for it; otherwise returns the message unchanged. The
   * work runs on a work thread: WorkBusyError and WorkTimeoutError (core/work.ts) mean try later.
   */
  async sign(message: Buffer, envelopeFrom: string): Promise<{ message: Buffer; domain: string | null }> {
    const candidates = [fromDomain(message), envelopeFrom.includes('@') ? envelopeFrom.slice(envelopeFrom.lastIndexOf('@') + 1).toLowerCase() : null];
    for (const domain of candidates) {
      if (!domain) continue;
      const key = this.key(domain);
      if (!key) continue;
      // a copy of exactly the message, moved to the thread (the caller keeps its own bytes)
      const bytes = new Uint8Array(message);
      const input: SignInput = { message: bytes, signingDomain: key.domain, selector: key.selector, privateKey: key.privateKey, headerList: SIGNED_FIELDS };
      const signature = await this.work.run<string | null>(SIGN_TASK, input, { transfer: [bytes.buffer as ArrayBuffer] });
      if (!signature) return { message, domain: null };
      return { message: Buffer.concat([Buffer.from(signature), message]), domain: key.domain };
    }
    return { message, domain: null };
  }
}
