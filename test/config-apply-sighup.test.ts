/**
 * SIGHUP on a CLI-started appliance (`mailserver start --config FILE`): the config it runs from
 * is loaded again with the files it names and applied live; the result is printed to stderr.
 * Here: a renewed TLS certificate is served to new sessions while a session open across the
 * signal goes on; a broken certificate file is refused and the appliance goes on with the
 * previous one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import selfsigned from 'selfsigned';
import t from 'tap';
import { REPO_ROOT, freePorts, sleep, spawnAppliance } from './helpers/process.ts';
import { RawClient } from './helpers/raw-client.ts';

async function makeCert(dir: string, cn: string): Promise<void> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: cn }], { keySize: 2048, days: 2 } as never);
  fs.writeFileSync(path.join(dir, 'key.pem'), pems.private);
  fs.writeFileSync(path.join(dir, 'cert.pem'), pems.cert);
}

/** The CN of the certificate the implicit-TLS listener presents. */
function servedCn(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
      const cn = s.getPeerCertificate().subject?.CN;
      s.destroy();
      resolve(String(cn));
    });
    s.once('error', reject);
  });
}

async function waitFor(what: () => boolean, label: string, output: () => string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error(`${label} did not happen within ${ms} ms:\n${output()}`);
    await sleep(50);
  }
}

t.test('SIGHUP re-loads the config and its files: a renewed certificate is served, a broken one refused', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-hup-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const [port, tlsPort] = await freePorts(2);
  await makeCert(dir, 'first.test');
  const file = path.join(dir, 'mailserver.config.ts');
  fs.writeFileSync(file, `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'hup.test',
  tls: { cert: ${JSON.stringify(path.join(dir, 'cert.pem'))}, key: ${JSON.stringify(path.join(dir, 'key.pem'))} },
  smtp: { listen: ['127.0.0.1:${port}', '127.0.0.1:${tlsPort}*'] },
  pop3: { listen: ['127.0.0.1:0'] },
  imap: { listen: ['127.0.0.1:0'] },
  http: { listen: [] },
  delivery: { enabled: false },
  log: { level: 'warn' },
});
`);
  const proc = spawnAppliance(file, path.join(dir, 'data'));
  t.teardown(() => proc.stop());
  await proc.waitForSmtp(port);
  t.equal(await servedCn(tlsPort), 'first.test');

  const old = await RawClient.connect(port);
  t.match(await old.reply(), /^220 hup\.test ESMTP/);
  t.match(await old.command('EHLO client.test'), /^250/);

  await makeCert(dir, 'renewed.test');
  proc.child.kill('SIGHUP');
  await waitFor(() => /SIGHUP: config applied/.test(proc.output()), 'the apply', () => proc.output());
  t.match(proc.output(), /mailserver: SIGHUP: config applied \(generation 2\), nothing changed/);
  t.equal(await servedCn(tlsPort), 'renewed.test', 'a new session gets the renewed certificate');
  t.match(await old.command('NOOP'), /^250/, 'the session open across the signal goes on');
  t.match(await old.command('QUIT'), /^221/);

  fs.writeFileSync(path.join(dir, 'cert.pem'), 'not a certificate\n');
  proc.child.kill('SIGHUP');
  await waitFor(() => /SIGHUP: config not applied/.test(proc.output()), 'the refusal', () => proc.output());
  t.match(proc.output(), /SIGHUP: config not applied, still serving the previous one: tls: /);
  t.comment(proc.output().split('\n').find((l) => l.includes('not applied')) ?? '');
  t.equal(await servedCn(tlsPort), 'renewed.test', 'still serving the applied generation');

  await proc.stop();
  t.equal((await proc.exited).code, 0, proc.output());
});
