/**
 * For tests (test/cli-*.test.ts): runs the real `mailserver` command in a child process, the way
 * an operator does, and gives back its exit code and output.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/mailserver.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/mailserver.js ...args`; `input` is written to its stdin (then closed). */
export function runCli(args: string[], opts: { input?: string; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    // the environment's defaults must not leak into a test that passes --data explicitly
    const env = { ...process.env };
    delete env.MAILSERVER_DATA;
    delete env.MAILSERVER_CONFIG;
    const child = execFile(process.execPath, [BIN, ...args], { env, cwd: opts.cwd, timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(opts.input ?? '');
  });
}

/** A fresh, empty directory under the system's temp folder, removed at the owner's teardown. */
export function tempDir(owner: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-cli-'));
  owner.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** True when the text looks like it carries a JavaScript stack trace. */
export function hasStackTrace(text: string): boolean {
  return /\n\s+at /.test(text) || text.startsWith('    at ');
}

/**
 * Writes `dir/mailserver.config.ts` defining the mailing lists `names` (for `list add|members|import
 * --config FILE`, which refuse a list no config defines); returns its path.
 */
export function listsConfig(dir: string, names: string[]): string {
  const file = path.join(dir, 'mailserver.config.ts');
  const core = fileURLToPath(new URL('../../core/index.ts', import.meta.url));
  fs.writeFileSync(file, `import { defineConfig } from ${JSON.stringify(core)};
export default defineConfig({ plugins: [{ name: 'mailing-list', options: { lists: ${JSON.stringify(names.map((name) => ({ name })))} } }] });
`);
  return file;
}
