/**
 * POP3 with Python's poplib over real sockets: STLS, implicit TLS, the TRANSACTION commands,
 * byte-exact RETR/TOP, UIDL stability, and deletion only at QUIT (RFC 1939 §6).
 */
import t from 'tap';
import { startEnv, python, MESSAGES, PASSWORDS, type Pop3Env } from './helpers/pop3-env.ts';

let env: Pop3Env;
t.before(async () => {
  env = await startEnv();
  for (const m of MESSAGES) await env.deliver('alice', m);
});
t.teardown(() => env.close());

const ports = () => ({ PORT: env.plainPort, TLS_PORT: env.tlsPort, USER: 'alice@example.test', PASS: PASSWORDS.alice });

t.test('greeting, CAPA before and after STLS, STAT/LIST/UIDL/RETR/TOP', async (t) => {
  const r = await python(`
p = plain()
out['welcome'] = p.getwelcome()
out['capa_plain'] = p.capa()
p.stls(CTX)
out['capa_tls'] = p.capa()
out['login'] = login(p, os.environ['USER'], os.environ['PASS'])
out['stat'] = p.stat()
out['list'] = p.list()
out['list2'] = p.list(2)
out['uidl'] = p.uidl()
out['uidl1'] = p.uidl(1)
resp, lines, octets = p.retr(1)
out['retr1'] = b'\\r\\n'.join(lines) + b'\\r\\n'
out['retr1_octets'] = octets
resp, lines, octets = p.retr(2)
out['retr2'] = b'\\r\\n'.join(lines) + b'\\r\\n'
out['top'] = b'\\r\\n'.join(p.top(2, 3)[1])
out['top0'] = b'\\r\\n'.join(p.top(1, 0)[1])
out['missing'] = attempt(lambda: p.retr(3))
out['capa_tx'] = p.capa()
out['quit'] = p.quit()
`, ports());
  t.match(r.welcome, /^\+OK pop\.example\.test POP3 ready <\d+\.[0-9a-f]+@pop\.example\.test>$/);
  t.ok('STLS' in r.capa_plain, 'STLS offered before TLS');
  t.notOk('USER' in r.capa_plain, 'USER not offered in clear (allowInsecureAuth off)');
  t.notOk('STLS' in r.capa_tls, 'no STLS after STLS');
  for (const cap of ['TOP', 'UIDL', 'USER', 'RESP-CODES', 'PIPELINING', 'SASL', 'IMPLEMENTATION']) t.ok(cap in r.capa_tls, cap);
  t.strictSame(r.capa_tls.SASL, ['PLAIN']);
  t.match(r.login, /^\+OK Logged in, maildrop has 2 messages/);
  const sizes = MESSAGES.map((m) => Buffer.byteLength(m));
  t.strictSame(r.stat, [2, sizes[0] + sizes[1]]);
  t.strictSame(r.list[1], [`1 ${sizes[0]}`, `2 ${sizes[1]}`]);
  t.equal(r.list2, `+OK 2 ${sizes[1]}`);
  const uids = (r.uidl[1] as string[]).map((l) => l.split(' ')[1]);
  t.equal(new Set(uids).size, 2);
  for (const u of uids) t.match(u, /^[\x21-\x7e]{1,70}$/);
  t.equal(r.uidl1, `+OK 1 ${uids[0]}`);
  t.equal(r.retr1, MESSAGES[0], 'RETR is byte-exact, dot-stuffing undone by the client');
  t.equal(r.retr2, MESSAGES[1]);
  t.equal(r.top, MESSAGES[1].split('\r\n\r\n')[0] + '\r\n\r\nbody line 1\r\nbody line 2\r\nbody line 3');
  t.equal(r.top0, MESSAGES[0].split('\r\n\r\n')[0] + '\r\n');
  t.match(r.missing, /^EXC:-ERR No such message/);
  t.notOk('STLS' in r.capa_tx);
  t.match(r.quit, /^\+OK/);
});

t.test('UIDL is stable across sessions; implicit TLS works', async (t) => {
  const script = `
p = implicit()
login(p, os.environ['USER'], os.environ['PASS'])
out['uidl'] = p.uidl()[1]
p.quit()
`;
  const a = await python(script, ports());
  const b = await python(script, ports());
  t.equal(a.uidl.length, 2);
  t.strictSame(a.uidl, b.uidl);
});

t.test('DELE + RSET, and DELE then a dropped connection, remove nothing', async (t) => {
  const r = await python(`
p = stls()
login(p, os.environ['USER'], os.environ['PASS'])
out['dele'] = p.dele(1)
out['again'] = attempt(lambda: p.dele(1))
out['list_deleted'] = attempt(lambda: p.list(1))
out['stat_after_dele'] = p.stat()
out['rset'] = p.rset()
out['stat_after_rset'] = p.stat()
p.quit()
p = stls()
login(p, os.environ['USER'], os.environ['PASS'])
p.dele(1)
p.dele(2)
p.sock.close()  # no QUIT: RFC 1939 §6, nothing is removed
`, ports());
  t.equal(r.dele, '+OK Message 1 deleted');
  t.match(r.again, /^EXC:-ERR Message 1 already deleted/);
  t.match(r.list_deleted, /^EXC:-ERR/);
  t.strictSame(r.stat_after_dele[0], 1);
  t.match(r.rset, /^\+OK Maildrop has 2 messages/);
  t.strictSame(r.stat_after_rset[0], 2);
  // the server notices the dropped connection asynchronously; the store must be untouched anyway
  await new Promise((resolve) => setTimeout(resolve, 250));
  t.equal((await env.inbox('alice')).length, 2);
});

t.test('DELE + QUIT removes the message; a new session does not see it', async (t) => {
  await env.deliver('alice', 'Subject: third\r\n\r\nto be deleted\r\n');
  const r = await python(`
p = stls()
login(p, os.environ['USER'], os.environ['PASS'])
n = p.stat()[0]
out['n'] = n
out['deleted_uid'] = p.uidl(n)
p.dele(n)
out['quit'] = p.quit()
p = stls()
login(p, os.environ['USER'], os.environ['PASS'])
out['stat'] = p.stat()
out['uidl'] = p.uidl()[1]
p.quit()
`, ports());
  t.equal(r.n, 3);
  t.match(r.quit, /1 messages deleted/);
  t.equal(r.stat[0], 2);
  const deletedUid = (r.deleted_uid as string).split(' ')[2];
  t.notOk((r.uidl as string[]).some((l) => l.endsWith(` ${deletedUid}`)));
  t.equal((await env.inbox('alice')).length, 2);
});
