// AUTHENTICATE mechanism [initial-response]   (RFC 3501 §6.2.2, RFC 4959 SASL-IR)
//   PLAIN (RFC 4616): one base64 response "authzid\0authcid\0password"
//   LOGIN (draft-murchison-sasl-login): "+ VXNlcm5hbWU6" user, "+ UGFzc3dvcmQ6" password
//   a response of "*" cancels; then OK [CAPABILITY ...] | NO [AUTHENTICATIONFAILED] | BAD
import { authenticateCached } from '../auth-cache.ts';
import { completeLogin, guardedLogin } from '../login.ts';
import { atom, type Token } from '../parser.ts';
import { R } from '../replies.ts';
import { command, type Completion, type ImapSession } from '../types.ts';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Sends a challenge and reads the client's base64 answer; null when cancelled or closed. */
async function challenge(s: ImapSession, text: string): Promise<string | Completion | null> {
  await s.send(R.saslChallenge(text));
  const line = await s.readLine();
  if (line === null) return null;
  const response = line.toString('latin1').trim();
  if (response === '*') return R.saslCancelled();
  if (!BASE64.test(response)) return R.saslMalformed();
  return Buffer.from(response, 'base64').toString('utf8');
}

async function plain(s: ImapSession, initial: string | undefined): Promise<Completion | null> {
  let decoded: string;
  if (initial !== undefined) {
    // SASL-IR: "=" is an empty initial response
    if (initial !== '=' && !BASE64.test(initial)) return R.saslMalformed();
    decoded = initial === '=' ? '' : Buffer.from(initial, 'base64').toString('utf8');
  } else {
    const r = await challenge(s, '');
    if (r === null || typeof r !== 'string') return r;
    decoded = r;
  }
  const parts = decoded.split('\0');
  if (parts.length !== 3) return R.saslMalformed();
  const [authz, login, password] = parts;
  if (authz && authz.toLowerCase() !== login.toLowerCase()) return completeLogin(s, 'PLAIN', login, null);
  return guardedLogin(s, 'PLAIN', login, () => authenticateCached(s.env.stores, login, password));
}

async function login(s: ImapSession, initial: string | undefined): Promise<Completion | null> {
  let user: string | Completion | null;
  if (initial !== undefined) {
    if (!BASE64.test(initial)) return R.saslMalformed();
    user = Buffer.from(initial, 'base64').toString('utf8');
  } else user = await challenge(s, 'Username:');
  if (user === null || typeof user !== 'string') return user;
  const password = await challenge(s, 'Password:');
  if (password === null || typeof password !== 'string') return password;
  return guardedLogin(s, 'LOGIN', user, () => authenticateCached(s.env.stores, user, password));
}

export interface AuthenticateArgs {
  /** Upper-cased; which ones are supported is for run (NO [CANNOT], not BAD). */
  mechanism: string;
  /** RFC 4959 SASL-IR, as sent (base64, or "=" for an empty one); checked by the mechanism. */
  initial?: string;
}

export function parseAuthenticate(args: Token[]): AuthenticateArgs {
  const mechanism = atom(args[0], 'mechanism').toUpperCase();
  return args[1] ? { mechanism, initial: atom(args[1], 'initial response') } : { mechanism };
}

export const AUTHENTICATE = command({
  syntax: 'AUTHENTICATE mechanism [initial-response]',
  states: ['notauth'],
  args: [1, 2],
  parse: parseAuthenticate,
  async run(s, { mechanism, initial }) {
    if (mechanism !== 'PLAIN' && mechanism !== 'LOGIN') return R.saslUnsupported();
    if (!s.plaintextAuthAllowed()) return R.loginDisabled();
    return mechanism === 'PLAIN' ? plain(s, initial) : login(s, initial);
  },
});
