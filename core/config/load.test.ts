import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, validateConfig } from './load.ts';
import { ConfigError } from '../errors.ts';

t.test('defaults fill an empty config', async (t) => {
  const c = validateConfig({});
  t.same(c.smtp.listen, ['127.0.0.1:2525', '127.0.0.1:2465*']);
  t.same(c.pop3.listen, ['127.0.0.1:1110', '127.0.0.1:1995*']);
  t.equal(c.smtp.auth.allowInsecure, false);
});

t.test('every problem is reported with its path', async (t) => {
  const err = t.throws(() => validateConfig({ smtp: { listen: ['nope'], maxRecipients: -1 }, bogus: 1 })) as unknown as ConfigError;
  t.ok(err instanceof ConfigError);
  const paths = err.problems.map((p) => p.path);
  t.ok(paths.includes('smtp.listen[0]'), paths.join());
  t.ok(paths.includes('smtp.maxRecipients'), paths.join());
  t.match(err.message, /smtp\.listen\[0\]: .*host:port/);
});

t.test('loads a TypeScript config file', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
  const file = path.join(dir, 'mailserver.config.ts');
  const core = path.resolve('core/index.ts');
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  fs.writeFileSync(file, `import { defineConfig } from '${core}';\nexport default defineConfig({ hostname: 'mx.example.test', smtp: { listen: ['127.0.0.1:25'] } });\n`);
  const { config } = await loadConfig(file);
  t.equal(config.hostname, 'mx.example.test');
  t.same(config.smtp.listen, ['127.0.0.1:25']);
});

t.test('a missing file is a clear error', async (t) => {
  await t.rejects(loadConfig('/nonexistent/mailserver.config.ts'), ConfigError);
});
