/**
 * POP3 ugly cases with a bare socket: STLS command injection (RFC 2595 §4), overlong lines,
 * unknown commands, pipelining, idle timeout, RX-9 hidden addresses and the connect hook.
 */
import t from 'tap';
import { reject } from '../core/verdict.ts';
import { startEnv, MESSAGES, PASSWORDS, type Pop3Env } from './helpers/pop3-env.ts';
import { RawClient } from './helpers/pop3-raw.ts';

let env: Pop3Env;
t.before(async () => {
  // plaintext USER allowed here, so an injected USER would visibly take effect
  env = await startEnv({ pop3: { allowInsecureAuth: true } });
  await env.deliver('alice', MESSAGES[0]);
});
t.teardown(() => env.close());

const greeted = async (port: number) => {
  const c = await RawClient.connect(port);
  const greeting = await c.line();
  if (!greeting?.startsWith('+OK')) throw new Error(`greeting: ${greeting}`);
  return c;
};

t.test('a command pipelined after STLS in the same packet is discarded', async (t) => {
  const c = await greeted(env.plainPort);
  c.send('STLS\r\nUSER alice@example.test\r\n');
  t.equal(await c.line(), '+OK Begin TLS negotiation');
  await c.startTls();
  c.send(`PASS ${PASSWORDS.alice}\r\n`);
  t.equal(await c.line(), '-ERR Send USER first', 'the injected USER never ran');
  c.send('CAPA\r\n');
  t.equal(await c.line(), '+OK Capability list follows');
  t.notOk((await c.multiline()).includes('STLS'));
  c.send('STLS\r\n');
  t.equal(await c.line(), '-ERR Already using TLS');
  c.destroy();
});

t.test('overlong lines get -ERR, the session goes on; repeated abuse closes it', async (t) => {
  const c = await greeted(env.plainPort);
  c.send('NOOP ' + 'x'.repeat(100 * 1024) + '\r\n');
  t.equal(await c.line(), '-ERR Line too long');
  c.send('CAPA\n'); // bare LF is a line end too
  t.equal(await c.line(), '+OK Capability list follows');
  await c.multiline();
  c.send('y'.repeat(300) + '\r\n');
  t.equal(await c.line(), '-ERR Line too long');
  c.send('z'.repeat(256) + '\r\n');
  t.equal(await c.line(), '-ERR Line too long, closing connection');
  t.equal(await c.line(), null);

  const flood = await greeted(env.plainPort);
  flood.send(Buffer.alloc(1100 * 1024, 0x41));
  t.equal(await flood.line(), '-ERR Line too long, closing connection', 'an endless line drops the connection');
  t.equal(await flood.line(), null);
});

t.test('unknown commands get -ERR until the limit closes the connection', async (t) => {
  const c = await greeted(env.plainPort);
  c.send('HELO there\r\n');
  t.equal(await c.line(), '-ERR Unknown command');
  c.send('\r\n');
  t.equal(await c.line(), '-ERR Unknown command');
  c.send('TOP 1\r\n');
  t.equal(await c.line(), '-ERR TOP is not valid in the AUTHORIZATION state');
  // unknown commands 3..9 are answered, the 10th (maxUnknownCommands) closes
  for (let i = 3; i <= 10; i++) c.send(`BOGUS${i}\r\n`);
  for (let i = 3; i < 10; i++) t.equal(await c.line(), '-ERR Unknown command');
  t.equal(await c.line(), '-ERR Too many unknown commands, closing connection');
  t.equal(await c.line(), null);
});

t.test('pipelined commands are answered in order; argument shapes are checked', async (t) => {
  const c = await greeted(env.plainPort);
  c.send(`USER alice@example.test\r\nPASS ${PASSWORDS.alice}\r\nSTAT\r\nTOP 1\r\nRETR x\r\nLIST 0\r\nLIST 1 2\r\nRETR 1\r\nQUIT\r\n`);
  t.equal(await c.line(), '+OK Send PASS');
  t.match(await c.line(), /^\+OK Logged in, maildrop has 1 messages/);
  t.equal(await c.line(), `+OK 1 ${Buffer.byteLength(MESSAGES[0])}`);
  t.equal(await c.line(), '-ERR Syntax: TOP msg n');
  t.equal(await c.line(), '-ERR Syntax: RETR msg');
  t.equal(await c.line(), '-ERR No such message');
  t.equal(await c.line(), '-ERR Syntax: LIST [msg]');
  t.equal(await c.line(), `+OK ${Buffer.byteLength(MESSAGES[0])} octets`);
  const body = await c.multiline();
  t.ok(body.includes('..starts with a dot') && body.includes('...two dots') && body.includes('..'), 'byte-stuffed on the wire');
  t.match(await c.line(), /^\+OK pop\.example\.test POP3 server signing off/);
  t.equal(await c.line(), null);
});

t.test('a silent client is disconnected after socketTimeoutMs, without UPDATE', async (t) => {
  const idle = await startEnv({ socketTimeoutMs: 300 });
  t.teardown(() => idle.close());
  await idle.deliver('alice', MESSAGES[0]);
  const c = await greeted(idle.plainPort);
  c.send('STLS\r\n');
  await c.line();
  await c.startTls();
  c.send(`USER alice\r\nPASS ${PASSWORDS.alice}\r\nDELE 1\r\n`);
  for (let i = 0; i < 3; i++) t.match(await c.line(), /^\+OK/);
  const started = Date.now();
  t.equal(await c.line(2000), '-ERR Disconnected for inactivity');
  t.equal(await c.line(), null);
  t.ok(Date.now() - started >= 200, 'not before the timeout');
  t.equal((await idle.inbox('alice')).length, 1, 'the DELE was not applied');
});

t.test('RX-9: a connection to a hidden local address is closed without a greeting', async (t) => {
  const hidden = await startEnv({ hiddenIps: ['127.0.0.1'] });
  t.teardown(() => hidden.close());
  const c = await RawClient.connect(hidden.plainPort);
  t.equal(await c.line(), null);
});

t.test('the connect hook may refuse a connection; disconnect runs at close', async (t) => {
  const seen: string[] = [];
  const hooked = await startEnv({
    hooks: (h) => {
      h.register('connect', 'test', ({ conn }) => {
        seen.push(`connect ${conn.protocol} ${conn.remoteAddress} ${conn.secure}`);
        return reject('go away');
      });
      h.register('disconnect', 'test', ({ conn }) => void seen.push(`disconnect ${conn.id.length > 0}`));
    },
  });
  t.teardown(() => hooked.close());
  const p = await RawClient.connect(hooked.plainPort);
  t.equal(await p.line(), '-ERR go away');
  t.equal(await p.line(), null);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.ok(seen.includes('connect pop3 127.0.0.1 false'));
  t.ok(seen.includes('disconnect true'));
});

t.test('closing the service ends its sessions without applying DELE', async (t) => {
  const closing = await startEnv({ pop3: { allowInsecureAuth: true } });
  t.teardown(() => closing.close());
  await closing.deliver('alice', MESSAGES[0]);
  const c = await greeted(closing.plainPort);
  c.send(`USER alice\r\nPASS ${PASSWORDS.alice}\r\nDELE 1\r\n`);
  for (let i = 0; i < 3; i++) t.match(await c.line(), /^\+OK/);
  await closing.service.close();
  t.equal(await c.line(), '-ERR [SYS/TEMP] Server shutting down');
  t.equal(await c.line(), null);
  t.equal((await closing.inbox('alice')).length, 1);
});
