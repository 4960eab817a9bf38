/** AV-3: `mailserver antivirus freshclam-conf` writes freshclam's config (schedule, proxy) from the plugin options. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/appliance.ts';

const CORE = fileURLToPath(new URL('../core/index.ts', import.meta.url));

t.test('freshclam.conf from the config', async (t) => {
  const dir = tempDir();
  const config = path.join(dir, 'mailserver.config.ts');
  const write = (options: unknown) => fs.writeFileSync(config, `import { defineConfig } from ${JSON.stringify(CORE)};\n`
    + `export default defineConfig({ plugins: [{ name: 'antivirus', options: ${JSON.stringify(options)} }] });\n`);
  write({ clamd: { socket: '/run/clamav/clamd.ctl' }, freshclam: { checks: 12, proxy: { host: 'proxy.example.test', port: 8080, user: 'u', pass: 'p' } } });
  const r = await runCli(['antivirus', 'freshclam-conf', '--config', config]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /\nDatabaseDirectory \/var\/lib\/clamav\n[\s\S]*\nChecks 12\nNotifyClamd \/etc\/clamav\/clamd\.conf\nHTTPProxyServer proxy\.example\.test\nHTTPProxyPort 8080\nHTTPProxyUsername u\nHTTPProxyPassword p\n$/);
  write({ clamd: { port: 3310 } });
  const plain = await runCli(['antivirus', 'freshclam-conf', '--config', config]);
  t.match(plain.stdout, /\nChecks 24\n/);
  t.notMatch(plain.stdout, /Proxy/);
  write({ clamd: { port: 3310 }, freshclam: { checks: 99 } });
  const bad = await runCli(['antivirus', 'freshclam-conf', '--config', config]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /checks/);
});
