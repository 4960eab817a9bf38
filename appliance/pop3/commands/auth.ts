// AUTH [mechanism [initial-response]]     (RFC 5034; SASL PLAIN, RFC 4616)
//   AUTH                -> +OK, the mechanisms one a line, "."
//   AUTH PLAIN          -> "+ " then the client sends base64(authzid NUL authcid NUL passwd), or "*"
//   AUTH PLAIN <b64>    -> the same with an initial response ("=" is an empty one)
import { authenticate, resolveLogin } from '../../auth/login.ts';
import { completeLogin, guardedLogin } from '../login.ts';
import { R, continuation } from '../replies.ts';
import type { CommandSpec } from '../types.ts';

export const SASL_MECHANISMS = ['PLAIN'] as const;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const AUTH: CommandSpec = {
  syntax: 'AUTH [mechanism [initial-response]]',
  states: ['AUTHORIZATION'],
  args: ['word', 'word'],
  optional: 2,
  plaintextAuth: true,
  async run(s, [mechanism, initial]) {
    if (mechanism === undefined) return s.write(R.saslMechanisms(SASL_MECHANISMS));
    if (mechanism.toUpperCase() !== 'PLAIN') return s.write(R.saslUnsupported());
    s.pendingUser = null;
    let response: string | null = initial ?? null;
    if (response === null) {
      await s.write(continuation());
      response = await s.readContinuation();
      if (response === null) return s.closed ? undefined : s.write(R.saslMalformed());
    }
    if (response.trim() === '*') return s.write(R.saslCancelled());
    const b64 = response.trim() === '=' ? '' : response.trim();
    if (!BASE64.test(b64)) return s.write(R.saslMalformed());
    const parts = Buffer.from(b64, 'base64').toString('utf8').split('\0');
    if (parts.length !== 3 || !parts[1]) return s.write(R.saslMalformed());
    const [authzid, authcid, password] = parts;
    // no proxy logins: an authorization identity naming another account than the login is refused
    if (authzid) {
      const [as, by] = await Promise.all([resolveLogin(s.env.stores, authzid), resolveLogin(s.env.stores, authcid)]);
      if (!as || as !== by) return completeLogin(s, 'PLAIN', authcid, null);
    }
    await guardedLogin(s, 'PLAIN', authcid, () => authenticate(s.env.stores, authcid, password));
  },
};
