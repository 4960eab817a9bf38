/**
 * The shim's contract with a small hand-written Haraka plugin (a plain .js file run in a vm
 * sandbox, as Haraka runs config/plugins entries from its plugins/ folder).
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { registerHarakaPlugins } from './runner.ts';
import { connectionAdapter } from './connection.ts';
import { OK } from './constants.ts';
import { makeConn, makeHooks, makeTx, memoryLogger, message, rcpt, tempDir } from './test-support.ts';

const PARENT = `
exports.register = function () {
  this.register_hook('rset', 'parent_rset');
};
exports.parent_rset = function (next, connection) {
  connection.notes.set('parent.rset_by', this.name);
  next();
};
exports.hook_vrfy = function (next, connection, address) {
  next(OK, this.greet() + ' ' + address);
};
exports.greet = function () { return 'parent knows'; };
`;

const TINY = `
exports.register = function () {
  this.inherits('parent');
  this.cfg = this.config.get('tiny.ini', { booleans: ['+main.enabled', '-main.strict', '-main.other'] });
  this.list = this.config.get('tiny.list', 'list');
  this.value = this.config.get('tiny.value');
  this.json = this.config.get('tiny.json');
  this.register_hook('mail', 'mail_late', 50);
  this.register_hook('mail', 'mail_early', -50);
  this.register_hook('helo', 'helo_second', 10);
  this.register_hook('capabilities', 'caps');
};
exports.hook_init_master = function (next, server) { server.notes.tiny_init = this.cfg.main.count; next(); };
exports.hook_lookup_rdns = function (next) { next(OK, 'rdns.example.org'); };
exports.hook_connect = function (next, connection) { connection.notes.seen_host = connection.remote.host; next(); };
exports.hook_helo = function (next, connection) { connection.notes.helo_hook = connection.hook; next(DENY, 'overridable'); };
exports.helo_second = function (next) { next(DENY, 'final'); };
exports.mail_early = function (next, connection) { connection.transaction.notes.order = ['early']; next(); };
exports.mail_late = function (next, connection, params) {
  connection.transaction.notes.order.push('late');
  if (params[0].host === 'soft.example') return next(DENYSOFTDISCONNECT, 'go away for now');
  next();
};
exports.hook_rcpt = function (next, connection, params) {
  connection.notes.rcpt_seen = params[0].address + ' ' + JSON.stringify(params[1]);
  next(DENY, ['no such user', 'second line']);
  next(OK);
};
exports.hook_data = function () { throw new Error('boom'); };
exports.hook_data_post = function (next, connection) {
  const txn = connection.transaction;
  txn.notes.subject = txn.header.get('Subject').trim();
  txn.remove_header('X-Old');
  txn.add_header('X-Tiny', 'yes');
  txn.message_stream.get_data(function (buf) {
    txn.notes.data = buf.toString();
    next();
  });
};
exports.hook_queue_outbound = function (next) { next(OK); };
exports.hook_noop = function (next) {
  next(DENY, { code: 551, msg: 'user not local', cls: 5, sub: 1, det: 6, reply: '5.1.6 user not local' });
};
exports.hook_unrecognized_command = async function (next, connection, params) {
  if (params[0] === 'HANG') return;
  if (params[0] === 'BOOM') throw new Error('async boom');
  next(DENYSOFT, '4.7.0 try later');
};
exports.hook_deny = function (next, connection, params) {
  const [code, msg, plugin, method, , hook] = params;
  (connection.notes.denied = connection.notes.denied || []).push([code, msg, plugin, method, hook].join(' '));
  if (msg === 'overridable') return next(OK);
  next();
};
exports.caps = function (next) { next(); };
`;

const pluginDir = tempDir({ 'tiny.js': TINY, 'parent.js': PARENT });
const configDir = tempDir({
  'tiny.ini': '[main]\nstrict=true\ncount=3\n',
  'tiny.list': 'a\n# comment\nb\n\nc\n',
  'tiny.value': '42\n',
  'tiny.json': '{"x": {"y": true}}',
  'tiny.timeout': '0.3',
});
const { log, records } = memoryLogger();
const hooks = makeHooks(log);
// a native core hook between the Haraka priorities -50 and 50
hooks.register('mail', 'native', ({ tx }) => {
  (tx.notes.order as string[]).push('native');
});
const [info] = await registerHarakaPlugins(hooks, [path.join(pluginDir, 'tiny.js')], { configDir, log, hostname: 'mx.test' });
const tiny = info.plugin as Record<string, any>;

t.test('loading: name, config types, inherits, unsupported hooks, init_master', async (t) => {
  t.equal(info.name, 'tiny');
  t.same(tiny.cfg.main, { enabled: true, strict: true, other: false, count: 3 }, 'ini with booleans and integers');
  t.same(tiny.list, ['a', 'b', 'c'], 'list');
  t.equal(tiny.value, 42, 'value');
  t.same(tiny.json, { x: { y: true } }, 'json');
  t.equal(tiny.timeout, 0.3, '<name>.timeout');
  t.equal(typeof tiny.greet, 'function', 'inherits copied the parent methods');
  t.ok(info.hooks.includes('vrfy') && info.hooks.includes('rset'), "the parent's hook_* and register_hook count");
  t.same(info.unsupported, ['capabilities']);
  t.ok(records.some((r) => r.level === 'warn' && r.hook === 'capabilities'), 'an unsupported hook is logged');
  t.equal((globalThis as { server?: { notes: Record<string, unknown> } }).server?.notes.tiny_init, 3, 'init_master ran with server');
  t.equal((globalThis as Record<string, unknown>).DENYSOFTDISCONNECT, 909, 'constants are globals');
});

t.test('lookup_rdns sets the remote host before connect hooks', async (t) => {
  const conn = makeConn();
  t.same(await hooks.run('connect', { conn }), { kind: 'next' });
  t.equal(conn.remoteHost, 'rdns.example.org');
  t.equal(conn.notes.seen_host, 'rdns.example.org');
  t.equal(connectionAdapter(conn).local.host, 'mx.test');
});

t.test('deny hook: OK overrides a rejection, otherwise it stands', async (t) => {
  const conn = makeConn();
  const v = await hooks.run('helo', { conn, verb: 'HELO', host: 'client.example' });
  t.same(v, { kind: 'reject', permanent: true, code: 550, message: 'final' }, 'the second helo method ran after the override');
  t.equal(conn.notes.helo_hook, 'helo');
  t.same(conn.notes.denied, ['902 overridable tiny hook_helo helo', '902 final tiny helo_second helo']);
  t.same(await hooks.run('helo', { conn, verb: 'EHLO', host: 'client.example' }), { kind: 'next' }, 'helo methods skip EHLO');
});

t.test('priorities interleave with native hooks; DENYSOFTDISCONNECT maps to a temporary disconnect', async (t) => {
  const conn = makeConn();
  const tx = makeTx(conn, 'a@good.example');
  t.same(await hooks.run('mail', { conn, tx, from: tx.mailFrom }), { kind: 'next' });
  t.same(tx.notes.order, ['early', 'native', 'late']);
  const soft = makeTx(conn, 'a@soft.example');
  t.same(await hooks.run('mail', { conn, tx: soft, from: soft.mailFrom }), {
    kind: 'disconnect',
    permanent: false,
    code: 450,
    message: 'go away for now',
  });
});

t.test('next called twice: the first answer counts, the second is logged; arrays are multi-line', async (t) => {
  const conn = makeConn({ log });
  const tx = makeTx(conn, 'a@good.example');
  const r = rcpt('b@good.example', { NOTIFY: 'NEVER', SMTPUTF8: true });
  const v = await hooks.run('rcpt', { conn, tx, rcpt: r });
  t.same(v, { kind: 'reject', permanent: true, code: 550, message: 'no such user\nsecond line' });
  t.equal(conn.notes.rcpt_seen, 'b@good.example {"NOTIFY":"NEVER","SMTPUTF8":null}', 'params are [Address, params]');
  t.ok(records.some((r) => r.level === 'error' && /more than once/.test(String(r.msg))), 'second next() logged');
});

t.test('a throw becomes a temporary failure', async (t) => {
  const conn = makeConn();
  const tx = makeTx(conn, 'a@good.example', ['b@good.example']);
  t.same(await hooks.run('data', { conn, tx }), { kind: 'reject', permanent: false, message: 'Temporary local problem, please try again later', code: 451, enhanced: '4.3.0' });
  t.same(await hooks.run('unrecognized_command', { conn, line: 'BOOM now' }), {
    kind: 'reject', permanent: false, message: 'Temporary local problem, please try again later', code: 451, enhanced: '4.3.0',
  }, 'so does a rejected promise');
});

t.test('the plugin timeout answers DENYSOFT, the enhanced code is taken from the text', async (t) => {
  const conn = makeConn();
  t.same(await hooks.run('unrecognized_command', { conn, line: 'HANG' }), {
    kind: 'reject', permanent: false, code: 450, message: 'plugin timeout',
  });
  t.same(await hooks.run('unrecognized_command', { conn, line: 'XYZZY' }), {
    kind: 'reject', permanent: false, code: 450, enhanced: '4.7.0', message: 'try later',
  });
});

t.test('a DSN object gives its code and enhanced status', async (t) => {
  t.same(await hooks.run('noop', { conn: makeConn() }), { kind: 'reject', permanent: true, code: 551, enhanced: '5.1.6', message: 'user not local' });
});

t.test('data_post: header, message_stream, add_header/remove_header', async (t) => {
  const conn = makeConn();
  const body = ['Line one', '.leading dot', 'end'];
  const tx = makeTx(conn, 'a@good.example', ['b@good.example'], message(['Subject: Hi there', 'X-Old: 1'], body));
  t.same(await hooks.run('data_post', { conn, tx }), { kind: 'next' });
  t.equal(tx.notes.subject, 'Hi there');
  t.same(tx.addedHeaders, [{ name: 'X-Tiny', value: 'yes' }]);
  t.same(tx.removedHeaders, ['X-Old']);
  t.equal(tx.notes.data, 'Subject: Hi there\r\nX-Tiny: yes\r\n\r\nLine one\r\n.leading dot\r\nend\r\n', 'the stream carries the current header');
  t.equal(connectionAdapter(conn).transaction?.data_bytes, tx.message?.length);
});

t.test('queue_outbound runs for relaying sessions only; vrfy and rset come from the parent', async (t) => {
  const relay = makeConn({ relaying: true });
  const tx = makeTx(relay, 'a@good.example', ['b@else.example'], message(['Subject: x']));
  t.same(await hooks.run('queue', { conn: relay, tx }), { kind: 'accept', message: 'Message Queued' });
  const inbound = makeConn();
  const tx2 = makeTx(inbound, 'a@good.example', ['b@else.example'], message(['Subject: x']));
  t.same(await hooks.run('queue', { conn: inbound, tx: tx2 }), { kind: 'next' });
  t.same(await hooks.run('vrfy', { conn: inbound, address: 'b@else.example' }), { kind: 'accept', message: 'parent knows b@else.example' });
  t.same(await hooks.run('rset', { conn: inbound }), { kind: 'next' });
  t.equal(connectionAdapter(inbound).notes.get('parent.rset_by'), 'tiny', "the parent's register() ran on the child");
});

t.test('errors at load time name the plugin', async (t) => {
  await t.rejects(registerHarakaPlugins(makeHooks(), ['no-such-plugin-here'], { configDir, log }), /Haraka plugin no-such-plugin-here: .*not found/);
  const dir = tempDir({ 'broken.js': "exports.register = function () { this.register_hook('mail', 'missing'); };" });
  await t.rejects(registerHarakaPlugins(makeHooks(), [path.join(dir, 'broken.js')], { configDir, log }), /broken: hook mail is registered to missing/);
  t.ok(fs.existsSync(path.join(pluginDir, 'tiny.js')));
  t.equal(OK, 906);
});

t.test('init_master runs in the lead, init_child in every worker of a supervisor (Haraka cluster mode)', async (t) => {
  const dir = tempDir({
    'inits.js': `
exports.hook_init_master = function (next, server) { server.notes.inits = (server.notes.inits || []).concat('master'); next(); };
exports.hook_init_child = function (next, server) { server.notes.inits = (server.notes.inits || []).concat('child'); next(); };
`,
  });
  const server = (globalThis as { server?: { notes: Record<string, unknown> } }).server!;
  const run = async (process?: { lead: boolean; workers: boolean }) => {
    server.notes.inits = [];
    const [info] = await registerHarakaPlugins(makeHooks(log), [path.join(dir, 'inits.js')], { configDir, log, hostname: 'mx.test', process });
    t.same(info.unsupported, [], 'both hooks are run by the shim');
    return server.notes.inits;
  };
  t.same(await run(), ['master'], 'one process (no supervisor): init_master only, as Haraka with nodes=0');
  t.same(await run({ lead: true, workers: true }), ['master', 'child'], 'the lead worker: both');
  t.same(await run({ lead: false, workers: true }), ['child'], 'another worker: init_child only');
});
