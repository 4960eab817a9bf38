/**
 * When the appliance stops, every IMAP client gets `* BYE` (RFC 3501 §7.1.5) before
 * its connection is closed — a logged-in idle session, one in IDLE, one that has not logged in,
 * over plain and implicit TLS — and the stop does not wait for the clients to hang up first.
 */
import t from 'tap';
import { RawClient } from '../helpers/raw-client.ts';
import { startImapAppliance } from '../helpers/imap-env.ts';

/** Reads lines until the connection closes; returns them. */
async function untilClosed(c: RawClient): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    try {
      lines.push((await c.line(15_000)).trimEnd());
    } catch (err) {
      if (c.closed) return lines;
      throw err;
    }
  }
}

async function session(port: number, opts: { tls?: boolean; login?: boolean; idle?: boolean } = {}): Promise<RawClient> {
  const c = await RawClient.connect(port, { tls: opts.tls });
  await c.line();
  if (opts.login !== false) {
    c.write('a LOGIN alice@example.test pw-alice\r\n');
    while (!(await c.line()).startsWith('a ')) { /* capability lines */ }
    c.write('b SELECT INBOX\r\n');
    while (!(await c.line()).startsWith('b ')) { /* untagged SELECT data */ }
  }
  if (opts.idle) {
    c.write('c IDLE\r\n');
    await c.line(); // "+ idling"
  }
  return c;
}

t.test('IMAP clients get * BYE when the appliance stops', async (t) => {
  const app = await startImapAppliance({ imap: { allowInsecureAuth: true } }, ['alice']);
  let closed = false;
  t.teardown(() => (closed ? undefined : app.close()));
  const clients = {
    selected: await session(app.imapPort),
    idling: await session(app.imapPort, { idle: true }),
    notLoggedIn: await session(app.imapPort, { login: false }),
    implicitTls: await session(app.imapsPort, { tls: true }),
  };
  const stopped = app.close().then(() => (closed = true));
  const results = await Promise.all(Object.values(clients).map(untilClosed));
  for (const [i, name] of Object.keys(clients).entries()) {
    t.match(results[i]!.at(-1), /^\* BYE /, `${name}: * BYE, then the connection closes`);
  }
  await stopped;
  t.ok(closed, 'the appliance stopped');
});
