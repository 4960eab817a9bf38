/**
 * POP3 logins with poplib: USER/PASS only under TLS, APOP (RFC 1939 §7) and PO-1 "APOP
 * exclusive", AUTH PLAIN (RFC 5034), the login forms, AC-7, RX-5, the maildrop lock, and the
 * failed-login delay and limit.
 */
import t from 'tap';
import { startEnv, python, PASSWORDS, type Pop3Env } from './helpers/pop3-env.ts';

let env: Pop3Env;
t.before(async () => {
  env = await startEnv();
});
t.teardown(() => env.close());

const refuse = (user: string, pass: string) =>
  python(`
p = stls()
p.user(os.environ['U'])
t0 = time.time()
out['r'] = attempt(lambda: p.pass_(os.environ['W']))
out['secs'] = time.time() - t0
out['noop'] = attempt(lambda: p.noop())
`, { PORT: env.plainPort, U: user, W: pass });

t.test('refusals (USER/PASS, APOP) share one text, come after ~1 s, and reveal no account', async (t) => {
  // in parallel: each refusal takes its ~1 s
  const [wrong, unknown, disabled, disabledWrong, apopWrong, apopNoSecret] = await Promise.all([
    refuse('alice@example.test', 'nope'),
    refuse('nobody@example.test', 'nope'),
    refuse('carol@example.test', PASSWORDS.carol),
    refuse('carol@example.test', 'nope'),
    python(`p = plain(); out['r'] = attempt(lambda: p.apop('bob@example.test', 'wrong'))`, { PORT: env.plainPort }),
    python(`p = plain(); out['r'] = attempt(lambda: p.apop('alice@example.test', os.environ['W']))`, { PORT: env.plainPort, W: PASSWORDS.alice }),
  ]);
  t.equal(wrong.r, 'EXC:-ERR [AUTH] Authentication failed');
  t.equal(unknown.r, wrong.r, 'unknown account: same reply as a wrong password');
  t.equal(disabledWrong.r, wrong.r, 'AC-7: a disabled account with a wrong password looks like any other');
  t.equal(disabled.r, 'EXC:-ERR [AUTH] POP3 access is disabled for this account');
  for (const r of [wrong, unknown, disabled]) t.ok(r.secs >= 0.9, `delayed ${r.secs}`);
  t.match(wrong.noop, /^EXC:-ERR NOOP is not valid in the AUTHORIZATION state/, 'still not logged in');
  t.equal(apopWrong.r, wrong.r, 'APOP with a wrong digest');
  t.equal(apopNoSecret.r, wrong.r, 'APOP for an account without a secret');
});

t.test('login forms: account@domain, account%domain, bare account; AUTH PLAIN', async (t) => {
  const r = await python(`
for i, u in enumerate(['alice@example.test', 'ALICE%Example.Test', 'alice']):
    p = stls()
    out['form%d' % i] = login(p, u, os.environ['W'])
    p.quit()
import base64
p = stls()
out['auth_list'] = p._longcmd('AUTH')
out['auth_initial'] = p._shortcmd('AUTH PLAIN ' + base64.b64encode(b'\\0alice\\0' + os.environ['W'].encode()).decode())
p.quit()
p = stls()
out['auth_cont'] = p._shortcmd('AUTH PLAIN')
out['auth_done'] = p._shortcmd(base64.b64encode(b'alice@example.test\\0alice\\0' + os.environ['W'].encode()).decode())
p.quit()
p = stls()
p._shortcmd('AUTH PLAIN')
out['auth_cancel'] = attempt(lambda: p._shortcmd('*'))
p.quit()
`, { PORT: env.plainPort, W: PASSWORDS.alice });
  for (const i of [0, 1, 2]) t.match(r[`form${i}`], /^\+OK Logged in/, `form ${i}`);
  t.strictSame(r.auth_list[1], ['PLAIN']);
  t.match(r.auth_initial, /^\+OK Logged in/);
  t.equal(r.auth_cont, '+ ');
  t.match(r.auth_done, /^\+OK Logged in/);
  t.match(r.auth_cancel, /^EXC:-ERR \[AUTH\] Authentication cancelled/);
});

t.test('plaintext USER/PASS and AUTH are refused without TLS; APOP is allowed in clear', async (t) => {
  const r = await python(`
import base64
p = plain()
out['user'] = attempt(lambda: p.user('alice@example.test'))
out['pass'] = attempt(lambda: p.pass_('x'))
out['auth'] = attempt(lambda: p._shortcmd('AUTH PLAIN ' + base64.b64encode(b'\\0alice\\0x').decode()))
out['apop'] = p.apop('bob@example.test', os.environ['BOB'])
out['stls_after_login'] = attempt(lambda: p._shortcmd('STLS'))
p.quit()
`, { PORT: env.plainPort, BOB: PASSWORDS.bob });
  const refusal = 'EXC:-ERR [AUTH] Plaintext authentication disallowed on non-secure connection';
  t.equal(r.user, refusal);
  t.equal(r.pass, refusal);
  t.equal(r.auth, refusal);
  t.match(r.apop, /^\+OK Logged in/);
  t.match(r.stls_after_login, /^EXC:-ERR STLS is not valid in the TRANSACTION state/);
});

t.test('a second concurrent login to the same maildrop gets [IN-USE]', async (t) => {
  const r = await python(`
a = stls()
out['first'] = login(a, 'alice@example.test', os.environ['W'])
b = implicit()
out['second'] = attempt(lambda: login(b, 'alice', os.environ['W']))
a.quit()
out['after_quit'] = login(b, 'alice', os.environ['W'])
b.quit()
`, { PORT: env.plainPort, TLS_PORT: env.tlsPort, W: PASSWORDS.alice });
  t.match(r.first, /^\+OK/);
  t.equal(r.second, 'EXC:-ERR [IN-USE] Maildrop is locked by another session');
  t.match(r.after_quit, /^\+OK Logged in/, 'the lock is released at QUIT');
});

t.test('PO-1 APOP exclusive, RX-5 session limit, three failures disconnect', async (t) => {
  const strict = await startEnv({
    pop3: { apopExclusive: true, maxSessions: 2, allowInsecureAuth: true },
    limits: { authFailureDelayMs: 20 },
  });
  t.teardown(() => strict.close());
  const r = await python(`
p = plain()
out['bob_pass'] = attempt(lambda: login(p, 'bob@example.test', os.environ['BOB']))
out['bob_apop'] = p.apop('bob@example.test', os.environ['BOB'])
q = plain()
out['alice_clear'] = login(q, 'alice', os.environ['W'])
out['third'] = attempt(lambda: plain())
p.quit()
q.quit()
p = plain()
for i in range(3):
    out['fail%d' % i] = attempt(lambda: login(p, 'alice', 'bad'))
try:
    p.noop()
    out['closed'] = False
except (poplib.error_proto, OSError, EOFError):
    out['closed'] = True
`, { PORT: strict.plainPort, BOB: PASSWORDS.bob, W: PASSWORDS.alice });
  t.equal(r.bob_pass, 'EXC:-ERR [AUTH] This account must log in with APOP');
  t.match(r.bob_apop, /^\+OK Logged in/);
  t.match(r.alice_clear, /^\+OK/, 'allowInsecureAuth permits USER/PASS in clear; accounts without a secret are not affected');
  t.equal(r.third, 'EXC:-ERR [SYS/TEMP] too many sessions');
  t.equal(r.fail0, 'EXC:-ERR [AUTH] Authentication failed');
  t.equal(r.fail2, 'EXC:-ERR [AUTH] Authentication failed, closing connection');
  t.equal(r.closed, true);
});
