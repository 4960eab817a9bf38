/**
 * The pre-receive hook (`mailserver config pre-receive`, installed by hook-install.ts). git gives
 * it `old new ref` lines on stdin (githooks(5)); the pushed objects are still in quarantine, so
 * the hook reads the pushed tree with git itself (it inherits git's object environment) and sends
 * the files to the running appliance (control.ts), which checks, tests and applies them. When no
 * appliance runs on this data directory the hook checks the commit itself and the next start
 * runs it. Exit 1 refuses the whole push; everything printed reaches the client as `remote:`.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../core/log.ts';
import { BRANCH } from './repository.ts';
import { askAppliance } from './control.ts';

const ZERO = /^0+$/;

function gitOut(args: string[], encoding: 'buffer' | 'utf8' = 'utf8'): Promise<Buffer | string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { encoding: encoding === 'buffer' ? 'buffer' : 'utf8', maxBuffer: 64 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

/** Every blob of the commit's tree, by path (read through git: the objects are quarantined). */
export async function pushedFiles(oid: string): Promise<Record<string, Buffer>> {
  const listing = (await gitOut(['ls-tree', '-r', '-z', '--full-tree', oid])) as string;
  const files: Record<string, Buffer> = {};
  for (const entry of listing.split('\0').filter(Boolean)) {
    const m = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(entry);
    if (!m) continue;
    const [, mode, type, blob, file] = m;
    if (type !== 'blob') throw new Error(`${file}: a ${type} (submodules are not supported in the config repository)`);
    if (mode === '120000') throw new Error(`${file}: a symbolic link (not supported in the config repository)`);
    files[file!] = (await gitOut(['cat-file', 'blob', blob!], 'buffer')) as Buffer;
  }
  return files;
}

export async function preReceive(input: string, say: (line: string) => void): Promise<number> {
  const gitdir = path.resolve(process.env.GIT_DIR ?? '.');
  const dataDir = path.dirname(gitdir);
  const updates = input.split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string, string]);
  for (const [, next, ref] of updates) {
    if (ref !== `refs/heads/${BRANCH}`) {
      say(`REFUSED: only the ${BRANCH} branch may be pushed to the config repository (got ${ref})`);
      return 1;
    }
    if (ZERO.test(next)) {
      say(`REFUSED: the ${BRANCH} branch cannot be deleted`);
      return 1;
    }
  }
  const main = updates.find(([, , ref]) => ref === `refs/heads/${BRANCH}`);
  if (!main) return 0;
  const oid = main[1];
  let files: Record<string, Buffer>;
  try {
    files = await pushedFiles(oid);
  } catch (err) {
    say(`REFUSED: ${(err as Error).message}`);
    return 1;
  }
  const answer = await askAppliance(
    dataDir,
    { op: 'push', token: process.env.MAILSERVER_PUSH_TOKEN, old: main[0], oid, files: Object.fromEntries(Object.entries(files).map(([p, b]) => [p, b.toString('base64')])) },
    say,
  );
  if (answer) return answer.ok ? 0 : 1;
  // no appliance on this data directory: check here; the next start runs this commit
  const { checkConfigDir } = await import('./check.ts');
  const { checkoutFiles } = await import('./checkout.ts');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-push-'));
  try {
    checkoutFiles(files, path.join(dir, 'config'));
    const result = await checkConfigDir(path.join(dir, 'config'), { log: silentLogger });
    for (const line of result.info) say(line);
    if (result.errors.length) {
      say(`REFUSED: ${result.errors.length} problem(s)`);
      for (const e of result.errors) say(`error: ${e}`);
      return 1;
    }
    say('the appliance is not running: checked, not applied; the next start runs this commit');
    return 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
