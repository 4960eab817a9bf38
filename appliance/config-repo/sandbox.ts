/**
 * Evaluates a pushed config's code away from the appliance. A pushed
 * mailserver.config.ts (and mailserver.tests.ts) is a program; importing it in the appliance ran
 * its top-level code as the appliance's user even when the push was then refused. Here:
 *
 * 1. the checkout is copied into a fresh scratch directory and bundled there with esbuild (in this
 *    process: esbuild only reads the code), so the child needs no TypeScript loader — tsx needs
 *    worker threads and esbuild a child process, both of which the permission model refuses;
 * 2. a short-lived `node --permission` child (Node 20: `--experimental-permission`) imports the
 *    bundle with read and write access to the scratch directory only, no child processes, no
 *    workers, no addons, a preload that makes every listen() throw, as user `nobody` when the
 *    appliance runs as root, and is killed with SIGKILL once it has answered or after
 *    CHECK_TIMEOUT_MS;
 * 3. it prints the default exports as JSON (plain data only), which is all that comes back: the
 *    schema check, the policy tests (with the appliance's own plugins, in check mode) and the live
 *    apply work on that data, so the pushed code never runs inside the appliance.
 *
 * An accepted commit is still code: `mailserver start` imports mailserver.config.ts of the
 * running commit as the appliance's user (README "Config as code").
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { CONFIG_FILE } from './checkout.ts';
import { POLICY_TESTS_FILE } from '../../core/policy-tests.ts';

export const CHECK_TIMEOUT_MS = 15_000;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const MARK = '\n@@mailserver-config-check@@\n';
const MAX_OUTPUT = 8 << 20;

export interface SandboxResult {
  /** The default export of mailserver.config.ts, as JSON data. */
  config?: unknown;
  /** The default export of mailserver.tests.ts (null when there is none). */
  tests?: unknown;
  /** Why the code could not be evaluated: `file: reason`. */
  error?: string;
}

/** The uid and gid of `nobody` when this process is root (the child then runs as that user). */
function unprivileged(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'));
    const [, , uid, gid] = line?.split(':') ?? [];
    if (uid && gid) return { uid: Number(uid), gid: Number(gid) };
  } catch {
    /* below */
  }
  return { uid: 65534, gid: 65534 };
}

function copyTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (e.name === 'node_modules') continue; // the `mailserver` link: bundled from the appliance instead
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) copyTree(src, dst);
    else if (e.isFile()) fs.copyFileSync(src, dst);
  }
}

function chownTree(p: string, uid: number, gid: number): void {
  fs.chownSync(p, uid, gid);
  if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) chownTree(path.join(p, e), uid, gid);
}

/** Bundles `entries` (relative to `dir`) into `outdir`; npm packages and the `mailserver` API included. */
async function bundle(dir: string, entries: string[], outdir: string): Promise<string | null> {
  try {
    await build({
      absWorkingDir: dir,
      entryPoints: entries.map((e) => path.join(dir, e)),
      outdir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: true,
      logLevel: 'silent',
      // `import ... from 'mailserver'`: the appliance's public API, from the appliance itself
      alias: { mailserver: path.resolve(HERE, '..', '..', 'core', 'index.ts') },
      nodePaths: [path.resolve(HERE, '..', '..', 'node_modules')],
      // CommonJS packages inside an ES module bundle call require() for Node's built-ins
      banner: { js: "import { createRequire as __mailserverRequire } from 'node:module'; const require = __mailserverRequire(import.meta.url);" },
    });
    return null;
  } catch (err) {
    const e = err as { errors?: { text: string; location?: { file: string; line: number } | null }[]; message?: string };
    const first = e.errors?.[0];
    if (first) return `${first.location ? `${first.location.file}:${first.location.line}: ` : ''}${first.text}`;
    return String(e.message ?? err).split('\n')[0]!;
  }
}

/** The line of a crashed child's stderr that says what went wrong (`Error: ...`), else its last line. */
function firstError(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^\w*Error\b|^Error:/.test(l)) ?? lines.at(-1) ?? '';
}

/** Node's permission model: `--experimental-permission` on Node 20, `--permission` from 22.13 (24 knows only that). */
const PERMISSION_FLAG = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';

/** Runs the child; resolves with its JSON answer or an error. */
function runChild(scratch: string, args: string[], timeoutMs: number): Promise<SandboxResult & { ok?: boolean }> {
  const user = unprivileged();
  const node = process.execPath;
  // through `env -i` with the appliance's environment but no NODE_* variable: the config reads
  // process.env as it will when the appliance imports it (a check must see the config that will
  // run), while NODE_OPTIONS and a test runner's instrumentation of node spawns (--import) cannot
  // add a loader the sandbox cannot read
  const env = Object.entries(process.env)
    .filter(([k, v]) => v !== undefined && !k.startsWith('NODE_') && !['HOME', 'TMPDIR', 'PATH'].includes(k) && !k.includes('='))
    .map(([k, v]) => `${k}=${v}`);
  const child = spawn('/usr/bin/env', [
    '-i', ...env, `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, `HOME=${scratch}`, `TMPDIR=${path.join(scratch, 'tmp')}`,
    node,
    PERMISSION_FLAG,
    `--allow-fs-read=${scratch}`,
    `--allow-fs-write=${scratch}`,
    '--disable-warning=ExperimentalWarning',
    '--import', pathToFileURL(path.join(scratch, 'preload.mjs')).href,
    path.join(scratch, 'child.mjs'),
    ...args,
  ], {
    cwd: path.join(scratch, 'config'),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(user ?? {}),
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { if (out.length < MAX_OUTPUT) out += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { if (err.length < 64 * 1024) err += d; });
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ error: `the config check could not start: ${e.message}` });
    });
    child.once('close', () => {
      clearTimeout(timer);
      const at = out.lastIndexOf(MARK);
      if (timedOut) return resolve({ error: `the config's code did not finish within ${timeoutMs / 1000} s (killed)` });
      if (at < 0) return resolve({ error: `the config's code ended without an answer${err.trim() ? `: ${firstError(err)}` : ''}` });
      try {
        resolve(JSON.parse(out.slice(at + MARK.length)) as SandboxResult & { ok?: boolean });
      } catch {
        resolve({ error: 'the config check answered with something that is not JSON' });
      }
    });
    // whatever the code left running (a timer, a socket it connected) dies with the process
    child.stdout!.once('end', () => setTimeout(() => child.kill('SIGKILL'), 200).unref());
  });
}

/** Evaluates the checkout in `dir` in the sandbox; never imports any of its code here. */
export async function evaluateInSandbox(dir: string, opts: { timeoutMs?: number } = {}): Promise<SandboxResult> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-config-check-'));
  try {
    copyTree(dir, path.join(scratch, 'config'));
    fs.mkdirSync(path.join(scratch, 'tmp'));
    fs.copyFileSync(path.join(HERE, 'sandbox', 'child.mjs'), path.join(scratch, 'child.mjs'));
    fs.copyFileSync(path.join(HERE, 'sandbox', 'preload.mjs'), path.join(scratch, 'preload.mjs'));
    const hasTests = fs.existsSync(path.join(dir, POLICY_TESTS_FILE));
    const entries = [CONFIG_FILE, ...(hasTests ? [POLICY_TESTS_FILE] : [])];
    const failed = await bundle(path.join(scratch, 'config'), entries, path.join(scratch, 'out'));
    if (failed) return { error: failed };
    const out = (f: string) => pathToFileURL(path.join(scratch, 'out', f.replace(/\.ts$/, '.mjs'))).href;
    const user = unprivileged();
    if (user) chownTree(scratch, user.uid, user.gid);
    const r = await runChild(scratch, entries.map(out), opts.timeoutMs ?? CHECK_TIMEOUT_MS);
    if (r.error) return { error: r.error };
    return { config: r.config, tests: hasTests ? r.tests : undefined };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
