/**
 * imap.maxBadCommands: a session that sends that many commands answered BAD gets
 * `* BYE Too many invalid commands` and is closed; the setting, not a constant, decides.
 */
import t from 'tap';
import { RawClient } from './helpers/raw-client.ts';
import { startImapAppliance } from './helpers/imap-env.ts';

const app = await startImapAppliance({ imap: { allowInsecureAuth: true, maxBadCommands: 3 } }, ['alice']);
t.teardown(() => app.close());

t.test('the third bad command closes the session when maxBadCommands is 3', async (t) => {
  const c = await RawClient.connect(app.imapPort);
  t.match(await c.line(), /^\* OK/);
  const lines: string[] = [];
  for (let i = 1; i <= 3; i++) {
    c.write(`a${i} FROB\r\n`);
    lines.push((await c.line()).trimEnd());
  }
  t.match(lines[0], /^a1 BAD Unknown command/);
  t.match(lines[1], /^a2 BAD Unknown command/);
  t.match(lines[2], /^\* BYE Too many invalid commands/, 'the limit is the setting (3), not 20');
  await new Promise<void>((resolve) => (c.closed ? resolve() : c.socket.once('close', () => resolve())));
  t.ok(c.closed, 'the server closed the connection');
});
