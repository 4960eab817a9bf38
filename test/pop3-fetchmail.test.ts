/**
 * fetchmail (the real one, /usr/bin/fetchmail) against the POP3 service: STLS on the plain
 * port and implicit TLS, USER/PASS, messages delivered through an MDA, deleted on the server
 * after the fetch unless `keep`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import t from 'tap';
import { startEnv, MESSAGES, PASSWORDS, type Pop3Env } from './helpers/pop3-env.ts';

let env: Pop3Env;
t.before(async () => {
  env = await startEnv();
});
t.teardown(() => env.close());

interface Run { code: number; output: string; mbox: string }

/** One fetchmail run with its own rcfile (mode 600, as fetchmail insists) and HOME. */
function fetchmail(name: string, options: { port: number; tls: 'stls' | 'implicit'; keep: boolean }): Promise<Run> {
  const home = fs.mkdtempSync(path.join(env.dir, `fetchmail-${name}-`));
  const mbox = path.join(home, 'mbox');
  const rc = path.join(home, 'fetchmailrc');
  fs.writeFileSync(rc, [
    'set no syslog',
    `poll 127.0.0.1 with proto pop3 port ${options.port} timeout 10`,
    `  user "alice@example.test" there with password "${PASSWORDS.alice}" is "alice" here`,
    options.tls === 'implicit' ? '  ssl' : '  sslproto "tls1.2+"',
    '  no sslcertck',
    `  mda "cat >> ${mbox}"`,
    options.keep ? '  keep' : '  no keep',
    '',
  ].join('\n'), { mode: 0o600 });
  return new Promise((resolve) => {
    execFile('fetchmail', ['-f', rc, '-d0', '--nosyslog', '-v', '--idfile', path.join(home, 'ids')],
      { env: { ...process.env, HOME: home, FETCHMAILHOME: home }, timeout: 15_000 },
      (err, stdout, stderr) => resolve({
        code: err ? Number((err as { code?: number }).code ?? -1) : 0,
        output: stdout + stderr,
        mbox: fs.existsSync(mbox) ? fs.readFileSync(mbox, 'latin1') : '',
      }));
  });
}

t.test('fetchmail over STLS with keep: messages arrive, the server keeps them', async (t) => {
  for (const m of MESSAGES) await env.deliver('alice', m);
  const run = await fetchmail('keep', { port: env.plainPort, tls: 'stls', keep: true });
  t.equal(run.code, 0, run.output);
  t.match(run.output, /STLS/);
  t.match(run.mbox, /Subject: first/);
  t.match(run.mbox, /\r?\n\.starts with a dot\r?\n\.\.two dots\r?\n/, 'dot-stuffing undone by fetchmail');
  t.match(run.mbox, /Subject: second[\s\S]*body line 20/);
  t.equal((await env.inbox('alice')).length, 2);
});

t.test('fetchmail over implicit TLS without keep: messages arrive and are deleted', async (t) => {
  const run = await fetchmail('flush', { port: env.tlsPort, tls: 'implicit', keep: false });
  t.equal(run.code, 0, run.output);
  t.match(run.mbox, /Subject: first[\s\S]*Subject: second/);
  t.match(run.output, /DELE 1[\s\S]*DELE 2[\s\S]*QUIT/);
  t.equal((await env.inbox('alice')).length, 0, 'deleted on the server after the fetch');
  const again = await fetchmail('empty', { port: env.plainPort, tls: 'stls', keep: false });
  t.equal(again.code, 1, 'fetchmail exit 1: no mail');
});
