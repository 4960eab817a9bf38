/**
 * Password hashing with scrypt (node:crypto). Stored form:
 *   $scrypt$N=16384,r=8,p=1$<salt b64>$<hash b64>
 * verifyAgainstDummy lets a login for an unknown account cost the same as a real one,
 * so response time does not reveal which accounts exist.
 */
import crypto from 'node:crypto';

const N = 16384, R = 8, P = 1, KEYLEN = 32;

function scrypt(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    crypto.scrypt(password, salt, KEYLEN, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export function isPasswordHash(value: string): boolean {
  return /^\$scrypt\$N=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.test(value);
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password, salt, N, R, P);
  return `$scrypt$N=${N},r=${R},p=${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * What an account keeps for a password (plain, or an imported `$scrypt$` hash): the hash, and
 * the clear secret only for accounts that need APOP / CRAM-MD5 (RFC 1939 §7, RFC 2195) and only
 * when the password was given in clear.
 */
export async function credentialsFor(password: string, apop: boolean): Promise<{ hash: string; secret: string | null }> {
  const hashed = isPasswordHash(password);
  return { hash: hashed ? password : await hashPassword(password), secret: apop && !hashed ? password : null };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^\$scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([^$]+)\$([^$]+)$/.exec(stored);
  if (!m) return false;
  const expected = Buffer.from(m[5], 'base64');
  const key = await scrypt(password, Buffer.from(m[4], 'base64'), Number(m[1]), Number(m[2]), Number(m[3]));
  return key.length === expected.length && crypto.timingSafeEqual(key, expected);
}

let dummy: Promise<string> | undefined;
/** Burns the same work as verifyPassword for a login whose account does not exist. */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummy ??= hashPassword('dummy-password-for-timing');
  await verifyPassword(password, await dummy);
  return false;
}
