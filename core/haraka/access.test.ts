/**
 * The published haraka-plugin-access, unmodified, on the core hook chain through the shim.
 */
import t from 'tap';
import { registerHarakaPlugins } from './runner.ts';
import { connectionAdapter } from './connection.ts';
import { makeConn, makeHooks, makeTx, message, rcpt, tempDir } from './test-support.ts';
import { silentLogger } from '../log.ts';

const configDir = tempDir({
  // [deny_msg] overrides one default of the package's own access.ini, key by key
  'access.ini': '[check]\nconn=true\nmail=true\nrcpt=true\nany=true\n\n[deny_msg]\nrcpt=is not wanted here\n',
  'connect.rdns_access.blacklist': '192.0.2.66\n',
  'mail_from.access.blacklist_regex': '.*@spammer\\.com\n',
  'mail_from.access.whitelist': 'friend@spammer.com\n',
  'rcpt_to.access.blacklist': 'nobody@example.net\n',
  'access.domains': 'badcorp.com\n',
});

const hooks = makeHooks();
const loaded = await registerHarakaPlugins(hooks, ['access'], { configDir, log: silentLogger });

t.test('registration names the plugin by its short name and lists its hooks', async (t) => {
  t.equal(loaded.length, 1);
  t.equal(loaded[0].name, 'access');
  t.same([...loaded[0].hooks].sort(), ['connect', 'data_post', 'ehlo', 'helo', 'mail', 'rcpt']);
  t.same(loaded[0].unsupported, []);
  t.ok(hooks.has('connect') && hooks.has('helo') && hooks.has('data_post'));
});

t.test('connect: a blacklisted IP is refused and disconnected (DENYDISCONNECT -> 554)', async (t) => {
  const conn = makeConn({ remoteAddress: '192.0.2.66', remoteHost: 'bad.host.net' });
  t.same(await hooks.run('connect', { conn }), {
    kind: 'disconnect',
    permanent: true,
    code: 554,
    message: 'bad.host.net [192.0.2.66] You are not allowed to connect',
  });
  const ok = makeConn();
  t.same(await hooks.run('connect', { conn: ok }), { kind: 'next' });
  t.match(connectionAdapter(ok).results.get('access'), { msg: ['unlisted(conn)'] }, 'results are kept on the connection');
  t.equal(connectionAdapter(ok).hook, 'connect', 'connection.hook names the hook being run');
});

t.test('helo/ehlo: the access.domains blacklist, with connection.hook telling the verbs apart', async (t) => {
  const conn = makeConn();
  const ehlo = await hooks.run('helo', { conn, verb: 'EHLO', host: 'mx.badcorp.com' });
  t.same(ehlo, { kind: 'reject', permanent: true, code: 550, message: 'You are not welcome here.' });
  t.equal(connectionAdapter(conn).hook, 'ehlo');
  const helo = await hooks.run('helo', { conn, verb: 'HELO', host: 'mx.badcorp.com' });
  t.same(helo, { kind: 'reject', permanent: true, code: 550, message: 'You are not welcome here.' });
  t.equal(connectionAdapter(conn).hook, 'helo');
  t.same(await hooks.run('helo', { conn, verb: 'EHLO', host: 'mail.good.org' }), { kind: 'next' });
});

t.test('mail: blacklist regex rejects with the plugin message, whitelist and null sender pass', async (t) => {
  const conn = makeConn();
  const tx = makeTx(conn, 'bad@spammer.com');
  t.same(await hooks.run('mail', { conn, tx, from: tx.mailFrom }), {
    kind: 'reject',
    permanent: true,
    code: 550,
    message: 'bad@spammer.com That sender cannot send mail here',
  });
  t.match(connectionAdapter(conn).transaction?.results.get('access'), { fail: ['mail_from.access.blacklist_regex'] });

  const friend = makeTx(conn, 'friend@spammer.com');
  t.same(await hooks.run('mail', { conn, tx: friend, from: friend.mailFrom }), { kind: 'next' });
  t.match(connectionAdapter(conn).transaction?.results.get('access'), { pass: ['mail_from.access.whitelist'] });

  const bounce = makeTx(conn, '');
  t.same(await hooks.run('mail', { conn, tx: bounce, from: bounce.mailFrom }), { kind: 'next' });
  t.match(connectionAdapter(conn).transaction?.results.get('access'), { skip: ['null sender'] });
});

t.test('mail: transaction.notes.skip_plugins skips the plugin', async (t) => {
  const conn = makeConn();
  const tx = makeTx(conn, 'bad@spammer.com');
  tx.notes.skip_plugins = ['access'];
  t.same(await hooks.run('mail', { conn, tx, from: tx.mailFrom }), { kind: 'next' });
});

t.test('rcpt: blacklist with the deny message overridden in access.ini', async (t) => {
  const conn = makeConn();
  const tx = makeTx(conn, 'someone@good.org');
  const bad = rcpt('nobody@example.net');
  t.same(await hooks.run('rcpt', { conn, tx, rcpt: bad }), {
    kind: 'reject',
    permanent: true,
    code: 550,
    message: 'nobody@example.net is not wanted here',
  });
  t.same(await hooks.run('rcpt', { conn, tx, rcpt: rcpt('somebody@example.net') }), { kind: 'next' });
});

t.test('data_post: a From header in a blacklisted domain is refused', async (t) => {
  const conn = makeConn();
  const tx = makeTx(conn, 'a@good.org', ['b@example.net'], message(['From: Boss <boss@badcorp.com>', 'Subject: hi']));
  t.same(await hooks.run('data_post', { conn, tx }), {
    kind: 'reject',
    permanent: true,
    code: 550,
    message: 'Email from that domain is not accepted here.',
  });
  const good = makeTx(conn, 'a@good.org', ['b@example.net'], message(['From: a@good.org', 'Subject: hi']));
  t.same(await hooks.run('data_post', { conn, tx: good }), { kind: 'next' });
});
