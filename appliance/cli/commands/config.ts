/**
 * mailserver config log [-n N]
 * mailserver config show [REV] [PATH]
 * mailserver config diff REV1 [REV2]
 * mailserver config rollback [REV]
 * mailserver config check [DIR]
 * mailserver config url
 * mailserver config import-file FILE
 * mailserver config pre-receive          (run by git as the repository's hook)
 *
 * The config repository (`<dataDir>/config.git`, README "Config as code"). rollback makes a new
 * commit whose tree is REV's (default: the previously applied commit): through the running appliance, which checks and
 * applies it first, or, when none runs, just the commit that the next start runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../../core/errors.ts';
import { silentLogger } from '../../../core/log.ts';
import { defineGroup, str } from '../command.ts';
import { ConfigRepository, RevisionError, defaultAuthor } from '../../config-repo/repository.ts';
import { CONFIG_FILE } from '../../config-repo/checkout.ts';
import { commitStates, lastApplied, readApplies } from '../../config-repo/apply-journal.ts';
import { lineDiff } from '../../config-repo/line-diff.ts';

async function openExisting(dataDir: string): Promise<ConfigRepository> {
  if (!fs.existsSync(path.join(dataDir, 'config.git', 'HEAD'))) {
    throw new UsageError(`no config repository in ${dataDir} (the first \`mailserver start\` creates it)`);
  }
  return ConfigRepository.open(dataDir);
}

async function rev(repo: ConfigRepository, r: string): Promise<string> {
  try {
    return await repo.resolve(r);
  } catch (err) {
    if (err instanceof RevisionError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * `config rollback` without REV: the commit this node applied before the one it runs. On a data
 * directory no appliance has run on yet (commits pushed offline, each checked by the hook), the
 * commit before HEAD.
 */
function previousApplied(dataDir: string): string {
  const { running, previous } = lastApplied(readApplies(dataDir));
  if (previous) return previous;
  if (!running) return 'HEAD~1';
  throw new UsageError(`no commit was applied before the running one (${running.slice(0, 10)}); give the REV to roll back to (config log lists them)`);
}

export default defineGroup('config', 'the config repository: history, rollback, checks (config as code)', {
  log: {
    usage: 'config log [-n N]',
    summary: 'lists the commits of the config, newest first: commit, state, date, author, message',
    notes: ['state: running (this node runs it), applied (ran before), refused (checked and refused, or did not come up),',
      '- (never ran here: committed while no appliance ran, runtime data such as refused IPs, or applied on another node).'],
    options: { n: { type: 'string', short: 'n' } },
    optionHelp: [['-n N', 'at most N commits (default 20)']],
    positionals: [0, 0],
    async run({ values, ctx, dataDir }) {
      const limit = Number(str(values, 'n') ?? 20);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`-n: expected a positive whole number, got ${JSON.stringify(str(values, 'n'))}`);
      const repo = await openExisting(dataDir);
      const states = commitStates(readApplies(dataDir));
      for (const c of await repo.log(limit)) {
        const state = states.get(c.oid) ?? '-';
        ctx.io.out(`${c.oid.slice(0, 10)}  ${state.padEnd(7)}  ${c.date.toISOString().replace('.000Z', 'Z')}  ${c.author.name} <${c.author.email}>  ${c.message.split('\n')[0]}`);
      }
    },
  },
  show: {
    usage: 'config show [REV] [PATH]',
    summary: 'prints a file of a commit (default HEAD, mailserver.config.ts), or lists its files when PATH is /',
    positionals: [0, 2],
    async run({ positionals, ctx, dataDir }) {
      const repo = await openExisting(dataDir);
      // one argument: a revision if it resolves, else a path at HEAD
      let [r, p] = positionals as [string | undefined, string | undefined];
      if (r !== undefined && p === undefined && !(await repo.resolve(r).then(() => true, () => false))) [r, p] = ['HEAD', r];
      const oid = await rev(repo, r ?? 'HEAD');
      if (p === '/') {
        for (const f of Object.keys(await repo.files(oid)).sort()) ctx.io.out(f);
        return;
      }
      const content = await repo.read(p ?? CONFIG_FILE, oid).catch((err: Error) => {
        throw new UsageError(err.message);
      });
      if (!content) throw new UsageError(`${p ?? CONFIG_FILE}: no such file in ${oid.slice(0, 10)} (config show ${r ?? 'HEAD'} / lists them)`);
      ctx.io.out(content.toString('utf8').replace(/\n$/, ''));
    },
  },
  diff: {
    usage: 'config diff REV1 [REV2]',
    summary: 'what changed from REV1 to REV2 (default HEAD), file by file',
    positionals: [1, 2],
    async run({ positionals, ctx, dataDir }) {
      const repo = await openExisting(dataDir);
      const a = await repo.files(await rev(repo, positionals[0]!));
      const b = await repo.files(await rev(repo, positionals[1] ?? 'HEAD'));
      for (const f of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
        const before = a[f]?.toString('utf8');
        const after = b[f]?.toString('utf8');
        if (before === after) continue;
        ctx.io.out(`--- ${before === undefined ? '/dev/null' : `a/${f}`}`);
        ctx.io.out(`+++ ${after === undefined ? '/dev/null' : `b/${f}`}`);
        for (const line of lineDiff(before ?? '', after ?? '')) ctx.io.out(line);
      }
    },
  },
  rollback: {
    usage: 'config rollback [REV]',
    summary: 'a new commit whose files are REV\'s (default: the commit applied before the running one), checked and applied by the running appliance',
    notes: ['Without REV: the previously applied commit (config log marks them), never a refused one or one that never ran.',
      'When no appliance runs on the data directory, only the commit is made; the next start runs it.'],
    positionals: [0, 1],
    async run({ positionals, ctx, dataDir }) {
      const repo = await openExisting(dataDir);
      const target = await rev(repo, positionals[0] ?? previousApplied(dataDir));
      const { askAppliance } = await import('../../config-repo/control.ts');
      const answer = await askAppliance(dataDir, { op: 'rollback', rev: target, author: defaultAuthor() }, (line) => ctx.io.out(line));
      if (answer) return answer.ok ? 0 : 1;
      // no appliance: check it here, so that the next start does not fail on it
      const { checkConfigDir } = await import('../../config-repo/check.ts');
      const { checkoutFiles } = await import('../../config-repo/checkout.ts');
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-rollback-'));
      try {
        checkoutFiles(await repo.files(target), path.join(tmp, 'config'));
        const result = await checkConfigDir(path.join(tmp, 'config'), { log: silentLogger });
        for (const e of result.errors) ctx.io.err(`error: ${e}`);
        if (result.errors.length) throw new UsageError(`${target.slice(0, 10)} does not pass the checks; nothing committed`);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
      const oid = await repo.commitTree(await repo.files(target), `rollback to ${target.slice(0, 7)}`, defaultAuthor());
      ctx.io.out(`committed ${oid.slice(0, 10)}: rollback to ${target.slice(0, 10)}; no appliance runs on ${dataDir}, the next start runs it`);
      return 0;
    },
  },
  check: {
    usage: 'config check [DIR]',
    summary: 'checks a clone of the config (default: the current directory) offline: schema and policy tests',
    positionals: [0, 1],
    async run({ positionals, ctx }) {
      const dir = path.resolve(positionals[0] ?? '.');
      if (!fs.existsSync(path.join(dir, 'mailserver.config.ts'))) throw new UsageError(`${dir}: no mailserver.config.ts here`);
      const { checkConfigDir } = await import('../../config-repo/check.ts');
      const { checkoutFiles } = await import('../../config-repo/checkout.ts');
      const { collectTree } = await import('../../config-repo/config-files.ts');
      // checked in a copy, as the appliance would run it (with `mailserver` resolvable)
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-check-'));
      try {
        checkoutFiles(collectTree(dir), path.join(tmp, 'config'));
        const result = await checkConfigDir(path.join(tmp, 'config'), { log: silentLogger });
        for (const line of result.info) ctx.io.out(line);
        for (const e of result.errors) ctx.io.err(`error: ${e}`);
        if (result.errors.length) {
          ctx.io.err(`mailserver: ${result.errors.length} problem(s); a push of this would be refused`);
          return 1;
        }
        ctx.io.out('ok: a push of this would be applied');
        return 0;
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
  },
  url: {
    usage: 'config url',
    summary: 'prints the URL to clone the config from (http.listen of the config in the repository)',
    positionals: [0, 0],
    async run({ ctx, dataDir }) {
      const repo = await openExisting(dataDir);
      const text = (await repo.read('mailserver.config.ts'))?.toString('utf8') ?? '';
      // the first http.listen of the committed config, without loading it (it is code)
      const m = /http\s*:\s*\{[^}]*listen\s*:\s*\[\s*['"]([^'"]+)['"]/s.exec(text);
      const spec = m?.[1] ?? '127.0.0.1:8025';
      const tls = spec.endsWith('*');
      const hostPort = spec.replace(/\*$/, '').replace(/^(0\.0\.0\.0|\[::\]|::):/, '127.0.0.1:');
      ctx.io.out(`${tls ? 'https' : 'http'}://${hostPort}/config.git`);
    },
  },
  'import-file': {
    usage: 'config import-file FILE',
    summary: 'commits a local config file (and the sibling files it uses) as the new HEAD; applied at the next start',
    positionals: [1, 1],
    async run({ positionals, ctx, dataDir }) {
      const { loadConfig } = await import('../../../core/config/load.ts');
      const { collectConfigFiles } = await import('../../config-repo/config-files.ts');
      const file = path.resolve(positionals[0]!);
      await loadConfig(file);
      const repo = await ConfigRepository.open(dataDir);
      const oid = await repo.commit(collectConfigFiles(file), `import ${path.basename(file)}\n\nfrom ${file}`, defaultAuthor());
      ctx.io.out(`committed ${oid.slice(0, 10)}: import ${file} (a running appliance applies it at its next start; push to apply it now)`);
    },
  },
  'pre-receive': {
    usage: 'config pre-receive',
    summary: 'the config repository\'s pre-receive hook (run by git, not by hand)',
    positionals: [0, 0],
    async run({ ctx }) {
      if (!process.env.GIT_DIR) throw new UsageError('config pre-receive is run by git as a hook (GIT_DIR is not set)');
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      const { preReceive } = await import('../../config-repo/hook.ts');
      return preReceive(Buffer.concat(chunks).toString('utf8'), (line) => ctx.io.out(line));
    },
  },
});
