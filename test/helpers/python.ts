/** Runs a Python script (real clients: smtplib, poplib, imaplib) and returns its stdout. */
import { execFile } from 'node:child_process';

export function python(script: string, args: string[] = [], opts: { timeoutMs?: number; input?: string } = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile('python3', ['-c', script, ...args], { timeout: opts.timeoutMs ?? 20_000 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
