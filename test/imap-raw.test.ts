/**
 * Bad input on a raw socket, the cases real clients never produce: unknown commands, bad
 * tags and sequence sets, wrong states, literal limits (RFC 7888), overlong lines, input
 * pipelined after STARTTLS, the bad-command limit, session limits (RX-5), hidden IPs (RX-9).
 */
import t from 'tap';
import { RawClient } from './helpers/raw-client.ts';
import { startImapAppliance } from './helpers/imap-env.ts';

const app = await startImapAppliance({ imap: { allowInsecureAuth: true, maxSessions: 3 } }, ['alice']);
t.teardown(() => app.close());

async function connect(port = app.imapPort): Promise<RawClient> {
  const c = await RawClient.connect(port);
  const greeting = await c.line();
  if (!greeting.startsWith('* OK')) throw new Error(`no greeting: ${greeting}`);
  return c;
}

/** Sends a command and collects lines up to its tagged completion. */
async function cmd(c: RawClient, line: string | Buffer, tag = 'a'): Promise<string[]> {
  c.write(typeof line === 'string' ? line + '\r\n' : line);
  const out: string[] = [];
  for (;;) {
    const l = await c.line();
    out.push(l.trimEnd());
    if (l.startsWith(`${tag} `)) return out;
  }
}

t.test('bad commands are answered with BAD, never a crash', async (t) => {
  const c = await connect();
  t.match((await cmd(c, 'a FROB'))[0], /^a BAD Unknown command/);
  t.match(await c.command('+++ NOOP').catch(() => ''), '');
  t.match(await c.line(), /^\* BAD Invalid tag/);
  t.match((await cmd(c, 'a SELECT INBOX'))[0], /^a BAD SELECT is not valid in this state/);
  t.match((await cmd(c, 'a LOGIN alice@example.test'))[0], /^a BAD Syntax: LOGIN userid password/);
  t.match((await cmd(c, 'a LOGIN "unterminated'))[0], /^a BAD Unterminated quoted string/);
  t.match((await cmd(c, 'a LOGIN alice@example.test pw-alice')).pop()!, /^a OK \[CAPABILITY /);
  t.match((await cmd(c, 'a SELECT INBOX')).pop()!, /^a OK \[READ-WRITE\]/);
  for (const set of ['0', '1:x', ',', '1,,2', '-1', '4294967296']) {
    t.match((await cmd(c, `a FETCH ${set} FLAGS`)).pop()!, /^a BAD Invalid sequence set/, `set ${set}`);
  }
  t.match((await cmd(c, 'a FETCH 1 (FLAGS'))[0], /^a BAD Unterminated list/);
  t.match((await cmd(c, 'a FETCH 1 BODY[HEADER.FIELDS ()]')).pop()!, /^a BAD/);
  t.match((await cmd(c, 'a UID FROB 1')).pop()!, /^a BAD Unknown UID command/);
  t.match((await cmd(c, 'a SEARCH FROB')).pop()!, /^a BAD Unknown search key/);
  t.match((await cmd(c, 'a FETCH 1:* FLAGS')).pop()!, /^a OK/, 'a set on an empty mailbox is fine');
  t.match((await cmd(c, 'a FETCH 1 ' + '('.repeat(5000) + ')'.repeat(5000))).pop()!, /^a BAD Lists nested too deeply/);
  t.match((await cmd(c, 'a SEARCH ' + 'NOT '.repeat(150) + 'ALL')).pop()!, /^a BAD Search criteria nested too deeply/);
  c.close();
});

t.test('literals: synchronizing, LITERAL+, and limits', async (t) => {
  const c = await connect();
  c.write('a LOGIN {18}\r\n');
  t.match(await c.line(), /^\+ /, 'continuation for a synchronizing literal');
  t.match((await cmd(c, 'alice@example.test {8+}\r\npw-alice')).pop()!, /^a OK/, 'LITERAL+ needs no continuation');
  const msg = 'Subject: lit\r\n\r\nbody\r\n';
  t.match((await cmd(c, `a APPEND INBOX (\\Seen) {${msg.length}+}\r\n${msg}`)).pop()!, /^a OK \[APPENDUID \d+ 1\]/);
  c.write('b APPEND INBOX {999999999}\r\n');
  t.match(await c.line(), /^b NO \[TOOBIG\]/, 'an oversized synchronizing literal is refused; the client never sends it');
  t.match((await cmd(c, 'a NOOP')).pop()!, /^a OK/, 'the session goes on');
  c.write('c APPEND INBOX {999999999+}\r\nxxxx');
  t.match(await c.line(), /^\* BYE \[TOOBIG\]/, 'an oversized non-synchronizing literal ends the session');
  await c.drain(200);
  t.ok(c.closed);
  const d = await connect();
  d.write('a LOGIN {100000}\r\n');
  t.match(await d.line(), /^a NO \[TOOBIG\]/, 'small literal limit before login');
  d.close();
});

t.test('an overlong line and too many bad commands close the connection', async (t) => {
  const c = await connect();
  c.write('a NOOP ' + 'x'.repeat(70 * 1024));
  t.match(await c.line(), /^\* BYE \[TOOBIG\] Command line too long/);
  await c.drain(200);
  t.ok(c.closed);
  const d = await connect();
  let last = '';
  for (let i = 0; i < 25 && !d.closed; i++) {
    d.write('a FROB\r\n');
    last = await d.line().catch(() => last);
  }
  t.match(last, /^\* BYE Too many invalid commands/);
});

t.test('STARTTLS: input pipelined after it is discarded, not executed', async (t) => {
  const c = await connect();
  c.write('a STARTTLS\r\nb LOGIN alice@example.test pw-alice\r\n');
  t.match(await c.line(), /^a OK Begin TLS/);
  await c.startTls();
  t.match((await cmd(c, 'c CAPABILITY', 'c')).join('\n'), /c OK/);
  const caps = await cmd(c, 'd CAPABILITY', 'd');
  t.notMatch(caps[0], /STARTTLS/, 'no STARTTLS after TLS');
  t.match((await cmd(c, 'e SELECT INBOX', 'e')).pop()!, /^e BAD SELECT is not valid/, 'the injected LOGIN did not run');
  c.close();
});

t.test('a client that stops reading does not stop the server', async (t) => {
  const c = await connect();
  await cmd(c, 'a LOGIN alice@example.test pw-alice');
  const big = 'Subject: big\r\n\r\n' + 'y'.repeat(1024 * 1024) + '\r\n';
  await cmd(c, `a APPEND INBOX {${big.length}+}\r\n${big}`);
  await cmd(c, 'a SELECT INBOX');
  c.socket.pause();
  for (let i = 0; i < 40; i++) c.write(`f${i} FETCH 1:* BODY.PEEK[]\r\n`);
  await new Promise((r) => setTimeout(r, 500));
  const d = await connect();
  t.match((await cmd(d, 'a LOGIN alice@example.test pw-alice')).pop()!, /^a OK/, 'other sessions are served');
  d.close();
  c.close();
});

t.test('RX-5 session limit and RX-9 hidden IPs', async (t) => {
  // the sessions of the tests above must have gone away (their sockets were destroyed)
  await new Promise((r) => setTimeout(r, 300));
  const clients = [await connect(), await connect(), await connect()];
  const extra = await RawClient.connect(app.imapPort);
  t.match(await extra.line(), /^\* BYE \[UNAVAILABLE\] Too many sessions/);
  for (const c of clients) c.close();
  const hidden = await startImapAppliance({ imap: { hiddenIps: ['127.0.0.1'] } }, []);
  t.teardown(() => hidden.close());
  const h = await RawClient.connect(hidden.imapPort);
  await h.drain(300);
  t.ok(h.closed, 'closed without a greeting on a hidden address');
});

t.test('malformed arguments are refused by the parse, before the command does anything', async (t) => {
  const c = await connect();
  t.match((await cmd(c, 'a LOGIN alice@example.test pw-alice')).pop()!, /^a OK/);
  // SETQUOTA, SETACL and DELETEACL are NO [NOPERM] when well formed, BAD when not (RFC 9208 §4.3.3, RFC 4314 §3.1)
  t.match((await cmd(c, 'a SETQUOTA "" (STORAGE 1)')).pop()!, /^a NO \[NOPERM\]/);
  t.match((await cmd(c, 'a SETQUOTA "" STORAGE')).pop()!, /^a BAD Expected resource limits/);
  t.match((await cmd(c, 'a SETACL INBOX anyone (l)')).pop()!, /^a BAD Expected rights/);
  t.match((await cmd(c, 'a DELETEACL INBOX (anyone)')).pop()!, /^a BAD Expected identifier/);
  const msg = 'Subject: m\r\n\r\nbody\r\n';
  t.match((await cmd(c, `a APPEND INBOX {${msg.length}+}\r\n${msg}`)).pop()!, /^a OK/);
  // a refused SELECT enables nothing: before the split, (CONDSTORE BOGUS) left CONDSTORE on
  t.match((await cmd(c, 'a SELECT INBOX (CONDSTORE BOGUS)')).pop()!, /^a BAD Unknown select parameter/);
  t.match((await cmd(c, 'a SELECT INBOX (QRESYNC (1 0))')).pop()!, /^a BAD QRESYNC is not enabled/, 'the session check stays in run');
  t.match((await cmd(c, 'a SELECT INBOX')).pop()!, /^a OK \[READ-WRITE\]/);
  const fetched = await cmd(c, 'a FETCH 1 (FLAGS)');
  t.match(fetched[0], /^\* 1 FETCH \(FLAGS \([^)]*\)\)$/, 'no MODSEQ: CONDSTORE was not enabled');
  c.close();
});
