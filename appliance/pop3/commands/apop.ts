// APOP name digest     (RFC 1939 §7)
//   digest = lower-case hex MD5 of the greeting's <timestamp> followed by the shared secret.
//   Allowed without TLS: the secret never crosses the wire.
import crypto from 'node:crypto';
import { resolveLogin } from '../../auth/login.ts';
import { guardedLogin } from '../login.ts';
import type { CommandSpec } from '../types.ts';

export const APOP: CommandSpec = {
  syntax: 'APOP name digest',
  states: ['AUTHORIZATION'],
  args: ['word', 'digest'],
  async run(s, [name, digest]) {
    s.pendingUser = null;
    const { stores } = s.env;
    await guardedLogin(s, 'APOP', name, async () => {
      const address = await resolveLogin(stores, name);
      const account = address ? await stores.accounts.get(address) : null;
      const secret = account ? await stores.accounts.getSecret(account.id) : null;
      // hash even without a secret, so the time taken does not tell whether one exists
      const expected = crypto.createHash('md5').update(s.apopTimestamp + (secret ?? crypto.randomUUID())).digest();
      const given = Buffer.from(digest, 'hex');
      const match = secret !== null && given.length === expected.length && crypto.timingSafeEqual(given, expected);
      return match ? account : null;
    });
  },
};
