/**
 * RFC 8058 one-click unsubscribe tokens: `<payload>.<mac>`, both base64url, where the payload
 * names the list, the domain it was posted at, the member, the member's subscription id and the
 * time the token was made, and the mac is HMAC-SHA256 with a secret of this appliance (truncated
 * to 128 bits, RFC 2104 §5). Nobody without the secret can make a token for another member; the
 * secret lives in `<data>/list-unsubscribe.key` (mode 0600), made on first use. Deleting the file
 * invalidates every token already mailed. A token expires (the caller checks `issued` against
 * the list's setting), and one made for an earlier subscription of the same address (the member
 * left and joined again: a new subscription id) no longer removes it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface UnsubscribeTarget {
  /** The list's store key (`name` or `name@domain`). */
  list: string;
  /** The domain the post went out at (a global list is seen at every hosted domain). */
  domain: string;
  member: string;
  /** The subscription's id (ListMember.id) when the token was made. */
  subscription: number;
}

export interface VerifiedToken extends UnsubscribeTarget {
  /** When the token was made. */
  issued: Date;
}

export const KEY_FILE = 'list-unsubscribe.key';
const MAC_BYTES = 16;
const CONTEXT = 'mailing-list one-click unsubscribe v2\n';
const FIELDS = 5;

export class UnsubscribeTokens {
  private secret: Buffer | null = null;

  constructor(private readonly dataDir: string) {}

  get keyFile(): string {
    return path.join(this.dataDir, KEY_FILE);
  }

  issue(t: UnsubscribeTarget, now = new Date()): string {
    const payload = Buffer.from([t.list, t.domain, t.member, t.subscription, Math.floor(now.getTime() / 1000)].join('\n'), 'utf8');
    return `${payload.toString('base64url')}.${this.mac(payload).toString('base64url')}`;
  }

  /** The target of a genuine token; null for anything malformed or forged. */
  verify(token: string): VerifiedToken | null {
    const m = /^([A-Za-z0-9_-]{1,1024})\.([A-Za-z0-9_-]{22})$/.exec(token);
    if (!m) return null;
    const payload = Buffer.from(m[1], 'base64url');
    const given = Buffer.from(m[2], 'base64url');
    if (given.length !== MAC_BYTES || !crypto.timingSafeEqual(given, this.mac(payload))) return null;
    const parts = payload.toString('utf8').split('\n');
    if (parts.length !== FIELDS || parts.some((p) => !p) || !/^\d+$/.test(parts[3]) || !/^\d+$/.test(parts[4])) return null;
    return { list: parts[0], domain: parts[1], member: parts[2], subscription: Number(parts[3]), issued: new Date(Number(parts[4]) * 1000) };
  }

  private mac(payload: Buffer): Buffer {
    return crypto.createHmac('sha256', this.key()).update(CONTEXT).update(payload).digest().subarray(0, MAC_BYTES);
  }

  /** The secret: read, or made with O_EXCL so two processes starting together agree on one. */
  private key(): Buffer {
    if (this.secret) return this.secret;
    const file = this.keyFile;
    try {
      fs.writeFileSync(file, crypto.randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${file}: cannot create the one-click unsubscribe key: ${(err as Error).message}`);
    }
    const text = fs.readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(text)) throw new Error(`${file}: expected 64 hex digits (delete the file to make a new key; links already mailed stop working)`);
    this.secret = Buffer.from(text, 'hex');
    return this.secret;
  }
}
