/**
 * `mailserver ... | head` (or any reader that stops early) must not crash the command: a write
 * to a pipe whose reader is gone (EPIPE) ends it quietly with its exit code, as coreutils do.
 * The reader here is `true`, which exits before the command writes its first line.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { BIN, runCli, tempDir } from './helpers/cli.ts';

function piped(args: string[]): Promise<{ code: number; stderr: string }> {
  const command = `set -o pipefail; ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ${args.map((a) => JSON.stringify(a)).join(' ')} | true`;
  return new Promise((resolve) => {
    execFile('bash', ['-c', command], { timeout: 60_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr });
    });
  });
}

t.test('--help into a closed pipe: exit 0, nothing on stderr', async (t) => {
  const r = await piped(['--help']);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
});

t.test('domain list into a closed pipe: exit 0, no EPIPE trace', async (t) => {
  const dir = tempDir(t);
  for (const d of ['a.test', 'b.test', 'c.test']) t.equal((await runCli(['--data', dir, 'domain', 'add', d])).code, 0);
  const r = await piped(['--data', dir, 'domain', 'list']);
  t.notMatch(r.stderr, /EPIPE|Error/);
  t.equal(r.code, 0, r.stderr);
});
