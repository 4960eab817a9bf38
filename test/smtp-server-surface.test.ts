/**
 * The appliance's SMTP server subclasses smtp-server instead of patching it:
 * - the private members its overrides rely on (appliance/smtp/appliance-server.ts PRIVATE_SURFACE)
 *   exist on the installed smtp-server, so an upgrade that changes them fails here;
 * - a plain SMTPServer in the same process as a running appliance keeps smtp-server's own
 *   behaviour (the appliance's EXPN, HELO hooks, reply codes and greeting are not its).
 */
import net from 'node:net';
import t from 'tap';
import { SMTPServer } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection';
import { ApplianceSmtpConnection, PRIVATE_SURFACE } from '../appliance/smtp/appliance-server.ts';
import { RawClient } from './helpers/raw-client.ts';
import { startTestAppliance } from './helpers/appliance.ts';

t.test('the private members the subclass relies on exist on the installed smtp-server', async (t) => {
  const server = new SMTPServer({ authOptional: true });
  const socket = new net.Socket();
  const conn = new SMTPConnection(server, socket, {}) as unknown as Record<string, unknown>;
  for (const m of PRIVATE_SURFACE.connection.methods) t.type((SMTPConnection.prototype as unknown as Record<string, unknown>)[m], 'function', `SMTPConnection.${m}`);
  for (const f of PRIVATE_SURFACE.connection.fields) t.ok(f in conn, `SMTPConnection#${f}`);
  for (const m of PRIVATE_SURFACE.server.methods) t.type((SMTPServer.prototype as unknown as Record<string, unknown>)[m], 'function', `SMTPServer.${m}`);
  for (const f of PRIVATE_SURFACE.server.fields) t.ok(f in server, `SMTPServer#${f}`);
  socket.destroy();
  server.server.close();
});

t.test('a plain SMTPServer next to the appliance is not changed by it', async (t) => {
  const app = await startTestAppliance({ delivery: { enabled: false } });
  t.teardown(() => app.close());
  t.ok(Object.hasOwn(ApplianceSmtpConnection.prototype, '_onCommand'), 'the overrides sit on the subclass');
  t.notOk(Object.hasOwn(SMTPConnection.prototype, 'handler_EXPN'), 'smtp-server\'s own SMTPConnection has no EXPN added');

  // the appliance answers EXPN itself (through its hooks), where smtp-server knows no EXPN
  const a = await RawClient.smtp(app.smtpPort);
  const expn = await a.command('EXPN staff');
  t.match(expn, /^[25]\d\d /);
  t.notMatch(expn, /command not recognized/, 'the appliance knows EXPN');
  a.close();

  const plain = new SMTPServer({ authOptional: true, onData: (s, _session, cb) => { s.resume(); s.on('end', () => cb()); } });
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => plain.close(() => resolve())));
  const port = (plain.server.address() as net.AddressInfo).port;
  const c = await RawClient.connect(port);
  t.match(await c.reply(), /^220 /);
  t.match(await c.command('EHLO client.test'), /^250/);
  t.match(await c.command('EXPN staff'), /^50[02] (5\.5\.\d )?Error: command not recognized/, 'EXPN is unknown to a stock smtp-server');
  t.match(await c.command('FROB'), /^500 (5\.5\.\d )?Error: command not recognized/, 'stock reply to an unknown command');
  c.close();
});
