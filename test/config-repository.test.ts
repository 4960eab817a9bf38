/**
 * The config repository (bare, isomorphic-git): commits, reads, log, revisions, and commits made
 * while the real git client pushes to the same repository (compare-and-swap on refs/heads/main).
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigRepository, RevisionError } from '../appliance/config-repo/repository.ts';
import { tempDir } from './helpers/appliance.ts';
import { git, gitOk } from './helpers/git.ts';

const author = { name: 'Op', email: 'op@example.test' };

t.test('commit, read, files, log, resolve', async (t) => {
  const dataDir = tempDir('cfgrepo-');
  const repo = await ConfigRepository.open(dataDir);
  t.ok(fs.existsSync(path.join(dataDir, 'config.git', 'HEAD')), 'bare repository created');
  t.equal(await repo.head(), null, 'empty');
  t.same(await repo.files(), {});
  t.same(await repo.log(), []);
  await t.rejects(repo.resolve('HEAD'), /no commits/);
  t.ok(await repo.resolve('HEAD').catch((e) => e instanceof RevisionError), 'RevisionError');

  const c1 = await repo.commit({ 'mailserver.config.ts': 'export default {}\n', 'policies/a.ts': 'x' }, 'initial config', author);
  const c2 = await repo.commit({ 'policies/a.ts': null, 'b.txt': Buffer.from('b') }, 'second', author);
  t.equal(await repo.head(), c2);
  t.same(Object.keys(await repo.files()).sort(), ['b.txt', 'mailserver.config.ts']);
  t.same(Object.keys(await repo.files(c1)).sort(), ['mailserver.config.ts', 'policies/a.ts']);
  t.equal((await repo.read('policies/a.ts', 'HEAD~1'))?.toString(), 'x');
  t.equal(await repo.read('policies/a.ts'), null);
  t.equal(await repo.resolve(c1.slice(0, 7)), c1, 'short oid');
  t.equal(await repo.resolve('main^'), c1);
  await t.rejects(repo.resolve('HEAD~2'), /no parent/);
  await t.rejects(repo.resolve('nosuch'), /unknown revision "nosuch"/);
  const log = await repo.log();
  t.same(log.map((c) => c.message.trim()), ['second', 'initial config']);
  t.same(log[0]!.parents, [c1]);
  t.same(log[0]!.author, author);

  const c3 = await repo.commitTree(await repo.files(c1), `rollback to ${c1.slice(0, 7)}`, author);
  t.same(Object.keys(await repo.files(c3)).sort(), ['mailserver.config.ts', 'policies/a.ts']);
  t.same((await repo.log(1))[0]!.parents, [c2], 'rollback is a new commit on top');

  // the real git client sees the same history
  const fsck = await git(['--git-dir', repo.gitdir, 'fsck', '--strict']);
  t.equal(fsck.code, 0, fsck.stderr);
  t.equal((await gitOk(['--git-dir', repo.gitdir, 'rev-parse', 'main'])).trim(), c3);
  t.equal(await gitOk(['--git-dir', repo.gitdir, 'show', 'main:policies/a.ts']), 'x');
  await t.rejects(repo.commit({ '../escape': 'x' }, 'bad', author), /not a valid path/);
});

t.test('concurrent commits and pushes never lose a commit', async (t) => {
  const dataDir = tempDir('cfgrepo-');
  const repo = await ConfigRepository.open(dataDir);
  await repo.commit({ 'mailserver.config.ts': 'export default {}\n' }, 'initial config', author);
  const work = tempDir('cfgwork-');
  await gitOk(['clone', '-q', repo.gitdir, work]);
  const pushes = (async () => {
    const results: number[] = [];
    for (let i = 0; i < 5; i++) {
      await gitOk(['pull', '-q', '--rebase'], { cwd: work });
      fs.writeFileSync(path.join(work, `pushed-${i}.txt`), String(i));
      await gitOk(['add', '.'], { cwd: work });
      await gitOk(['commit', '-q', '-m', `push ${i}`], { cwd: work });
      let r = await git(['push', '-q', 'origin', 'main'], { cwd: work });
      while (r.code !== 0) {
        await gitOk(['pull', '-q', '--rebase'], { cwd: work });
        r = await git(['push', '-q', 'origin', 'main'], { cwd: work });
      }
      results.push(r.code);
    }
    return results;
  })();
  const commits = Promise.all(Array.from({ length: 10 }, (_, i) => repo.commit({ [`local-${i}.txt`]: String(i) }, `local ${i}`, author)));
  await Promise.all([pushes, commits]);
  const files = Object.keys(await repo.files());
  for (let i = 0; i < 10; i++) t.ok(files.includes(`local-${i}.txt`), `local ${i} kept`);
  for (let i = 0; i < 5; i++) t.ok(files.includes(`pushed-${i}.txt`), `push ${i} kept`);
  t.equal((await git(['--git-dir', repo.gitdir, 'fsck'])).code, 0);
});
