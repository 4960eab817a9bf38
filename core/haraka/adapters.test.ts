/**
 * The connection and transaction adapters: what a Haraka plugin reads and writes.
 */
import t from 'tap';
import { connectionAdapter } from './connection.ts';
import { emailAddress } from './modules.ts';
import { makeConn, makeTx, message, rcpt } from './test-support.ts';

t.test('connection: one adapter per Connection, live views of the core fields', async (t) => {
  const conn = makeConn({ remoteAddress: '::ffff:10.1.2.3', remotePort: 5555, localAddress: '::ffff:127.0.0.1', localPort: 587 });
  const c = connectionAdapter(conn, 'mx.example');
  t.equal(connectionAdapter(conn), c, 'cached');
  t.equal(c.uuid, conn.id);
  t.match(c.remote, { ip: '10.1.2.3', port: 5555, host: null, is_private: true, is_local: false, closed: false });
  t.same({ ip: c.local.ip, port: c.local.port, host: c.local.host }, { ip: '127.0.0.1', port: 587, host: 'mx.example' });
  t.equal(c.remote_ip, '10.1.2.3', 'legacy alias');
  conn.remoteHost = 'client.example';
  t.equal(c.remote.host, 'client.example');
  c.set('remote.host', 'other.example');
  t.equal(conn.remoteHost, 'other.example', 'connection.set writes through');
  t.equal(c.get('remote.host'), 'other.example');
  t.same({ verb: c.hello.verb, host: c.hello.host }, { verb: null, host: null });
  conn.helo = { verb: 'EHLO', host: 'client.example' };
  t.same({ verb: c.hello.verb, host: c.hello.host, esmtp: c.esmtp }, { verb: 'EHLO', host: 'client.example', esmtp: true });
  t.equal(c.tls.enabled, false);
  conn.secure = true;
  t.equal(c.tls.enabled, true);
  c.relaying = true;
  t.equal(conn.relaying, true, 'relaying is the core flag');
  c.notes.set('a.b', 1);
  t.same(conn.notes, { a: { b: 1 } }, 'notes are the core bag; get/set are not enumerable');
  t.equal(c.notes.get('a.b'), 1);
  t.throws(() => c.notes.set('__proto__.x', 1));
  t.equal(c.transaction, null);
  t.equal(c.auth_results('spf=pass smtp.mailfrom=a@b.example'), 'mx.example;\r\n\tspf=pass smtp.mailfrom=a@b.example');
});

t.test('connection.relaying set during a transaction is the transaction\'s, as in Haraka 3', async (t) => {
  const conn = makeConn();
  const c = connectionAdapter(conn);
  const tx = makeTx(conn, 'a@example.org');
  c.relaying = true;
  t.same([c.relaying, tx.relaying, conn.relaying], [true, true, false], 'the transaction relays, the connection does not');
  makeTx(conn, 'b@example.org');
  t.equal(c.relaying, false, 'the next transaction starts from the connection\'s value');
  conn.transaction = undefined;
  c.relaying = true;
  const tx3 = makeTx(conn, 'c@example.org');
  t.equal(c.relaying, true, 'set outside a transaction, it lasts for the connection');
  c.relaying = false;
  t.same([c.relaying, tx3.relaying, conn.relaying], [false, false, true], 'a transaction may withdraw it for itself');
});

t.test('transaction: addresses, pending recipient, header before and after DATA', async (t) => {
  const conn = makeConn();
  const tx = makeTx(conn, 'Alice@Example.ORG', ['bob@example.net']);
  const c = connectionAdapter(conn);
  const htx = c.transaction;
  if (!htx) throw new Error('no transaction');
  t.equal(c.transaction, htx, 'cached');
  t.equal(htx.uuid, tx.id);
  t.ok(htx.mail_from instanceof emailAddress.Address, 'an @haraka/email-address Address');
  t.same([htx.mail_from?.address, htx.mail_from?.host, htx.mail_from?.user], ['Alice@Example.ORG', 'example.org', 'Alice']);
  t.equal(htx.mail_from, htx.mail_from, 'the same object on every read');
  htx.pendingRcpt = rcpt('carol@example.net');
  t.same(htx.rcpt_to.map((a) => a.address), ['bob@example.net', 'carol@example.net'], 'the recipient being checked is listed');
  htx.pendingRcpt = undefined;
  t.same(tx.notes.skip_plugins, [], 'Haraka initialises skip_plugins');
  t.equal(htx.header.get('Subject'), '', 'empty header before DATA');
  t.equal(htx.message_stream, null);
  htx.add_header('X-Early', 'set in rcpt');
  tx.message = message(['Subject: later', 'X-Drop: me'], ['body']);
  t.equal(htx.header.get('X-Early'), 'set in rcpt', 'earlier changes are replayed on the parsed header');
  htx.remove_header('x-drop');
  t.same(tx.removedHeaders, ['x-drop']);
  htx.remove_header('X-Early');
  t.same(tx.addedHeaders, [], 'removing a header the plugins added drops it from addedHeaders');
  t.equal(htx.header_lines.length, 2);
  t.equal(htx.data_bytes, tx.message.length);
  const data = await new Promise<string>((resolve) => htx.message_stream?.get_data((b) => resolve(b.toString())));
  t.equal(data, 'Subject: later\r\n\r\nbody\r\n');
});

t.test('transaction: parse_body and attachment_hooks', async (t) => {
  const conn = makeConn();
  const tx = makeTx(conn, 'a@example.org', ['b@example.net']);
  const htx = connectionAdapter(conn).transaction;
  if (!htx) throw new Error('no transaction');
  const seen: string[] = [];
  htx.attachment_hooks((ct: unknown, filename: unknown) => seen.push(`${String(ct).split(';')[0]} ${String(filename)}`));
  tx.message = message(
    ['Subject: files', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="XX"'],
    ['--XX', 'Content-Type: text/plain', '', 'hello text', '--XX', 'Content-Type: application/pdf; name="a.pdf"',
      'Content-Disposition: attachment; filename="a.pdf"', 'Content-Transfer-Encoding: base64', '', 'JVBERi0=', '--XX--'],
  );
  const body = htx.body as unknown as { children: { bodytext: string }[] } | null;
  t.ok(body, 'body parsed on request');
  t.match(body?.children[0].bodytext, /hello text/);
  t.same(seen, ['application/pdf a.pdf']);
  t.ok(htx.mime_part_count >= 2);
});
