/**
 * The published haraka-plugin-headers, unmodified, on data_post through the shim.
 */
import t from 'tap';
import { registerHarakaPlugins } from './runner.ts';
import { connectionAdapter } from './connection.ts';
import { makeConn, makeHooks, makeTx, message, tempDir } from './test-support.ts';
import { silentLogger } from '../log.ts';

const date = new Date().toUTCString();
const good = ['From: Alice <alice@example.org>', 'To: bob@example.net', `Date: ${date}`, 'Subject: hello', 'Message-ID: <1@example.org>'];

async function setup(headersIni: string) {
  const hooks = makeHooks();
  await registerHarakaPlugins(hooks, ['haraka-plugin-headers'], { configDir: tempDir({ 'headers.ini': headersIni }), log: silentLogger });
  return async (headers: string[], opts: { rcpts?: string[]; relaying?: boolean } = {}) => {
    const conn = makeConn({ relaying: opts.relaying ?? false });
    const tx = makeTx(conn, 'alice@example.org', opts.rcpts ?? ['bob@example.net'], message(headers));
    const verdict = await hooks.run('data_post', { conn, tx });
    return { verdict, tx, htx: connectionAdapter(conn).transaction };
  };
}

const rejecting = await setup('[reject]\nmissing_required=true\nduplicate_singular=true\n');

t.test('a missing required header is refused when headers.ini says reject', async (t) => {
  const { verdict, htx } = await rejecting(good.filter((h) => !h.startsWith('Date:')));
  t.same(verdict, { kind: 'reject', permanent: true, code: 550, message: "Required header 'Date' missing" });
  t.match(htx?.results.get('headers'), { fail: ['missing:Date'] });
  const noFrom = await rejecting(good.filter((h) => !h.startsWith('From:')));
  t.equal(noFrom.verdict.kind === 'reject' && noFrom.verdict.message, "Required header 'From' missing");
});

t.test('a duplicated singular header is refused', async (t) => {
  const { verdict } = await rejecting([...good, 'Subject: again']);
  t.same(verdict, { kind: 'reject', permanent: true, code: 550, message: 'Only one Subject header allowed. See RFC 5322, Section 3.6' });
});

t.test('a well-formed message passes every check', async (t) => {
  const { verdict, htx } = await rejecting(good);
  t.same(verdict, { kind: 'next' });
  t.match(htx?.results.get('headers'), { pass: ['duplicate', 'missing', 'Return-Path', 'invalid_date'] });
  t.equal(htx?.header.get('Subject'), 'hello\n', "Haraka's Header keeps the line end of a value");
});

t.test('an unparsable Date is refused when configured', async (t) => {
  const run = await setup('[reject]\ninvalid_date=true\n');
  const { verdict } = await run([...good.filter((h) => !h.startsWith('Date:')), 'Date: sometime soon']);
  t.same(verdict, { kind: 'reject', permanent: true, code: 550, message: 'The Date header could not be parsed' });
});

t.test('an inbound Return-Path is removed through transaction.remove_header', async (t) => {
  const { verdict, tx, htx } = await rejecting([...good, 'Return-Path: <x@example.org>']);
  t.same(verdict, { kind: 'next' });
  t.same(tx.removedHeaders, ['Return-Path']);
  t.equal(htx?.header.get('Return-Path'), '', 'later plugins no longer see it');
});

t.test('an outbound Return-Path is refused when configured', async (t) => {
  const run = await setup('[reject]\ninvalid_return_path=true\n');
  const { verdict } = await run([...good, 'Return-Path: <x@example.org>'], { relaying: true });
  t.same(verdict, { kind: 'reject', permanent: true, code: 550, message: 'outgoing mail must not have a Return-Path header (RFC 5321)' });
});

t.test('with the package defaults (reject off) the failures are only recorded', async (t) => {
  const run = await setup('');
  const { verdict, htx } = await run(good.filter((h) => !h.startsWith('Date:')).concat('Subject: twice'));
  t.same(verdict, { kind: 'next' });
  t.match(htx?.results.get('headers'), { fail: ['duplicate:Subject', 'missing:Date'] });
});
