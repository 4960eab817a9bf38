/**
 * Runs the real `git` client for tests, isolated from the machine's and user's git config (its own
 * HOME, no system config, never a credential prompt). Returns stdout, stderr and the exit code
 * instead of throwing, so a test can assert on a refused push's `remote:` lines.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface GitResult { code: number; stdout: string; stderr: string }

let home: string | null = null;
function gitHome(): string {
  if (!home) {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'git-home-'));
    fs.writeFileSync(path.join(home, '.gitconfig'), '[user]\n\tname = Test Admin\n\temail = admin@example.test\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n');
  }
  return home;
}

export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('GIT_')) delete env[k];
  return { ...env, HOME: gitHome(), GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C', ...extra };
}

export function git(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd: opts.cwd, env: gitEnv(opts.env), timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Like git() but throws with git's stderr when it fails. */
export async function gitOk(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  const r = await git(args, opts);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** `http://user:pass@host:port/path` with the user and password percent-encoded. */
export function authUrl(base: string, user: string, pass: string): string {
  const u = new URL(base);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(pass);
  return u.toString();
}
