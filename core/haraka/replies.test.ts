/**
 * Haraka answer -> Verdict, as a table (the codes of Haraka's connection.js *_respond).
 */
import t from 'tap';
import { codeToVerdict, normalizeMessage } from './replies.ts';
import { CONT, DENY, DENYDISCONNECT, DENYSOFT, DENYSOFTDISCONNECT, DISCONNECT, OK, STOP } from './constants.ts';
import { HOOK_SUPPORT, SUPPORTED_HOOKS, UNSUPPORTED_HOOKS, hookSupport } from './hook-table.ts';
import { HOOK_NAMES } from '../hooks.ts';
import fs from 'node:fs';

const v = (hook: string, code: number, msg?: unknown, subject?: string) => codeToVerdict(hook, code, msg, subject).verdict;

t.test('default codes and texts per hook', async (t) => {
  const rows: [string, number, unknown][] = [
    ['connect', DENY, { kind: 'reject', permanent: true, code: 554, message: 'Your mail is not welcome here' }],
    ['connect', DENYSOFT, { kind: 'reject', permanent: false, code: 421, message: 'Come back later' }],
    ['connect', DISCONNECT, { kind: 'disconnect', permanent: true, code: 554, message: 'Your mail is not welcome here' }],
    ['connect', DENYSOFTDISCONNECT, { kind: 'disconnect', permanent: false, code: 421, message: 'Come back later' }],
    ['ehlo', DENY, { kind: 'reject', permanent: true, code: 550, message: 'EHLO denied' }],
    ['helo', DENYSOFTDISCONNECT, { kind: 'disconnect', permanent: false, code: 450, message: 'HELO denied' }],
    ['data', DENY, { kind: 'reject', permanent: true, code: 554, message: 'Message denied' }],
    ['data', DENYSOFT, { kind: 'reject', permanent: false, code: 451, message: 'Message denied' }],
    ['data_post', DENY, { kind: 'reject', permanent: true, code: 550, message: 'Message denied' }],
    ['data_post', DENYSOFT, { kind: 'reject', permanent: false, code: 450, message: 'Message denied temporarily' }],
    ['data_post', DENYDISCONNECT, { kind: 'disconnect', permanent: true, code: 550, message: 'Message denied' }],
    ['queue', OK, { kind: 'accept', message: 'Message Queued' }],
    ['vrfy', OK, { kind: 'accept', message: 'User OK' }],
    ['vrfy', DENYSOFT, { kind: 'reject', permanent: false, code: 450, message: 'Lookup Failed' }],
    ['noop', DENY, { kind: 'reject', permanent: true, code: 500, message: 'Stop wasting my time' }],
    ['unrecognized_command', DENYDISCONNECT, { kind: 'disconnect', permanent: true, code: 521, message: 'Unrecognized command' }],
    ['unrecognized_command', DENYSOFTDISCONNECT, { kind: 'disconnect', permanent: false, code: 421, message: 'Unrecognized command' }],
    ['mail', OK, { kind: 'accept' }],
    ['mail', CONT, { kind: 'next' }],
    ['mail', STOP, { kind: 'next' }],
    ['rset', DENY, { kind: 'next' }],
    ['quit', DENYDISCONNECT, { kind: 'next' }],
  ];
  for (const [hook, code, expected] of rows) t.same(v(hook, code), expected, `${hook} ${code}`);
  t.same(v('rcpt', DENY, undefined, 'recipient <a@b.example>'), { kind: 'reject', permanent: true, code: 550, message: 'recipient <a@b.example> denied' });
  t.same(v('mail', DENYSOFT, undefined, 'sender <a@b.example>'), { kind: 'reject', permanent: false, code: 450, message: 'sender <a@b.example> denied' });
  t.equal(codeToVerdict('mail', 12345, 'x').known, false, 'unknown codes are reported');
});

t.test('messages: arrays, DSN objects, enhanced status codes', async (t) => {
  t.same(v('rcpt', DENY, ['line 1', '', 'line 2']), { kind: 'reject', permanent: true, code: 550, message: 'line 1\nline 2' });
  t.same(v('rcpt', DENYSOFT, { code: 552, msg: 'Mailbox full', cls: 5, sub: 2, det: 2, reply: '5.2.2 Mailbox full' }), {
    kind: 'reject', permanent: true, code: 552, enhanced: '5.2.2', message: 'Mailbox full',
  }, 'a DSN code decides permanence, as Haraka replies with it');
  t.same(v('mail', DENY, '5.7.1 not from here'), { kind: 'reject', permanent: true, code: 550, enhanced: '5.7.1', message: 'not from here' });
  t.same(v('mail', DENYSOFT, '5.7.1 mismatched'), { kind: 'reject', permanent: false, code: 450, message: '5.7.1 mismatched' }, 'class must match');
  t.same(v('mail', OK, 'fine'), { kind: 'accept', message: 'fine' });
  t.same(normalizeMessage(new Error('oops')), { text: 'oops' });
  t.same(normalizeMessage(undefined), {});
});

t.test('the hook table maps only onto core hooks and lists the rest', async (t) => {
  for (const [hook, s] of Object.entries(HOOK_SUPPORT)) {
    if (s.status === 'mapped') t.ok(HOOK_NAMES.includes(s.core), `${hook} -> ${s.core}`);
  }
  t.ok(SUPPORTED_HOOKS.includes('deny') && SUPPORTED_HOOKS.includes('data_post'));
  t.ok(UNSUPPORTED_HOOKS.includes('capabilities') && UNSUPPORTED_HOOKS.includes('reset_transaction'));
  t.equal(hookSupport('made_up_hook').status, 'unsupported');
  t.equal(hookSupport('constructor').status, 'unsupported');
  const readme = fs.readFileSync(new URL('./README.md', import.meta.url), 'utf8');
  for (const hook of Object.keys(HOOK_SUPPORT)) t.ok(readme.includes(`| \`${hook}\` |`), `README lists ${hook}`);
});
