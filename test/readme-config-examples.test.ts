/**
 * Every config example in the README (its ```ts blocks) is put into a mailserver.config.ts, as an
 * operator pastes it, and checked by the real `mailserver config check`: the schema, every
 * plugin's options, the files it names (created here, empty or with one rule). A README example
 * that the appliance would refuse fails this test, naming the block's line.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './helpers/process.ts';
import { runCli, tempDir } from './helpers/cli.ts';

const README = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

interface Block { line: number; text: string }

function tsBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```ts') continue;
    const start = i + 1;
    while (++i < lines.length && lines[i].trim() !== '```');
    blocks.push({ line: start + 1, text: lines.slice(start, i).join('\n') });
  }
  return blocks;
}

/**
 * The config file a block becomes: a whole file (`export default defineConfig(…)`) as it is,
 * top-level settings inside defineConfig, a bare plugin entry (or entries) inside `plugins`.
 */
function configFile(block: string): string {
  const importLine = `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};\n`;
  if (/export default defineConfig\(/.test(block)) return importLine + block.replace(/^\s+/gm, '');
  const body = /^\s*\{\s*name\s*:/.test(block) ? `plugins: [\n${block.replace(/,\s*$/, '')}\n],` : block.replace(/,?\s*$/, ',');
  return `${importLine}export default defineConfig({\n${body}\n});\n`;
}

/** The relative files a block names (`'./x'`), created so that the plugins reading them at load find them. */
function namedFiles(block: string): string[] {
  return [...block.matchAll(/'(\.\/[^']+)'/g)].map((m) => m[1]);
}

const blocks = tsBlocks(README);

t.test('the README has config examples', async (t) => {
  t.ok(blocks.length >= 5, `${blocks.length} ts blocks found`);
});

for (const block of blocks) {
  t.test(`README line ${block.line}: ${block.text.split('\n')[0].slice(0, 60)}`, async (t) => {
    const dir = tempDir(t);
    fs.writeFileSync(path.join(dir, 'mailserver.config.ts'), configFile(block.text));
    for (const f of namedFiles(block.text)) {
      const file = path.join(dir, f);
      if (path.extname(f) === '' && !f.endsWith('.txt')) fs.mkdirSync(file, { recursive: true });
      else {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, f.endsWith('.txt') ? 'someone@example.test\n' : '');
      }
    }
    const r = await runCli(['config', 'check', dir]);
    t.equal(r.code, 0, `config check accepts it:\n${r.stderr}`);
    t.match(r.stdout, /mailserver\.config\.ts: valid/);
    t.notMatch(r.stderr, /error:/, 'no error line');
  });
}
