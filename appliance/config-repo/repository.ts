/**
 * The appliance's config repository: a BARE git repository at `<dataDir>/config.git` (bare so that
 * `git http-backend` can serve it and a push never conflicts with a work tree), read and written
 * with isomorphic-git. Branch `main` holds mailserver.config.ts and whatever it imports.
 *
 * Writes are serialized in-process (one queue per repository) and the branch is moved with a
 * compare-and-swap that uses git's own lock file (`refs/heads/main.lock`, as receive-pack does), so
 * a commit made here and a concurrent `git push` never overwrite each other: a moved HEAD makes
 * commit() rebuild on the new HEAD and try again.
 */
import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { KeyedSerialQueue } from '../../core/serial-queue.ts';

export interface CommitAuthor { name: string; email: string }
export interface CommitInfo { oid: string; message: string; author: CommitAuthor; date: Date; parents: string[] }

export const BRANCH = 'main';
const REF = `refs/heads/${BRANCH}`;
const CAS_ATTEMPTS = 20;

/** Thrown for a revision or path that does not name anything in the repository. */
export class RevisionError extends Error {}

/** Writes to one repository run one at a time (keyed by its git directory). */
const writes = new KeyedSerialQueue();

/** `default` author: $GIT_AUTHOR_NAME/$GIT_AUTHOR_EMAIL, else `mailserver <mailserver@HOSTNAME>`. */
export function defaultAuthor(): CommitAuthor {
  return {
    name: process.env.GIT_AUTHOR_NAME || process.env.USER || 'mailserver',
    email: process.env.GIT_AUTHOR_EMAIL || `mailserver@${process.env.HOSTNAME || 'localhost'}`,
  };
}

function normalizePath(p: string): string {
  const clean = path.posix.normalize(p.replace(/\\/g, '/')).replace(/^\/+/, '');
  if (!clean || clean === '.' || clean.startsWith('../') || clean === '..' || clean.split('/').includes('.git')) {
    throw new RevisionError(`not a valid path in the config repository: ${JSON.stringify(p)}`);
  }
  return clean;
}

export class ConfigRepository {
  readonly gitdir: string;

  private constructor(gitdir: string) {
    this.gitdir = gitdir;
  }

  /** Opens `<dataDir>/config.git`, creating the bare repository (branch main) if missing. */
  static async open(dataDir: string): Promise<ConfigRepository> {
    const gitdir = path.resolve(dataDir, 'config.git');
    if (!fs.existsSync(path.join(gitdir, 'HEAD'))) {
      fs.mkdirSync(gitdir, { recursive: true, mode: 0o700 });
      await git.init({ fs, dir: gitdir, gitdir, bare: true, defaultBranch: BRANCH });
      // receive.denyNonFastForwards: history is the audit trail; a force push must not rewrite it
      await git.setConfig({ fs, gitdir, path: 'receive.denyNonFastForwards', value: true });
      await git.setConfig({ fs, gitdir, path: 'receive.denyDeletes', value: true });
      await git.setConfig({ fs, gitdir, path: 'http.receivepack', value: true });
    }
    return new ConfigRepository(gitdir);
  }

  /** The commit main points at, or null for an empty repository. */
  async head(): Promise<string | null> {
    try {
      return await git.resolveRef({ fs, gitdir: this.gitdir, ref: REF });
    } catch (err) {
      if ((err as { code?: string }).code === 'NotFoundError') return null;
      throw err;
    }
  }

  /**
   * Resolves 'HEAD', 'main', a full or abbreviated oid, with any `~N` / `^` suffixes
   * (gitrevisions(7): `~N` follows first parents N times, `^` is `~1`).
   */
  async resolve(rev: string): Promise<string> {
    const m = /^(.*?)((?:~\d*|\^1?)*)$/.exec(rev.trim());
    const base = m?.[1] || 'HEAD';
    const suffix = m?.[2] ?? '';
    let oid: string | null;
    if (base === 'HEAD' || base === BRANCH || base === REF) oid = await this.head();
    else if (/^[0-9a-f]{4,40}$/i.test(base)) {
      try {
        oid = await git.expandOid({ fs, gitdir: this.gitdir, oid: base.toLowerCase() });
      } catch {
        oid = null;
      }
    } else {
      try {
        oid = await git.resolveRef({ fs, gitdir: this.gitdir, ref: base });
      } catch {
        oid = null;
      }
    }
    if (!oid) throw new RevisionError(`unknown revision ${JSON.stringify(rev)}${base === 'HEAD' ? ' (the repository has no commits)' : ''}`);
    for (const step of suffix.match(/~\d*|\^1?/g) ?? []) {
      const n = step.startsWith('~') ? Number(step.slice(1) || 1) : 1;
      for (let i = 0; i < n; i++) {
        const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid });
        if (!commit.parent.length) throw new RevisionError(`unknown revision ${JSON.stringify(rev)}: ${oid.slice(0, 7)} has no parent`);
        oid = commit.parent[0]!;
      }
    }
    // a tag or other object: make sure it is a commit
    const obj = await git.readObject({ fs, gitdir: this.gitdir, oid, format: 'parsed' });
    if (obj.type !== 'commit') throw new RevisionError(`${JSON.stringify(rev)} is a ${obj.type}, not a commit`);
    return oid;
  }

  /** Every file of the commit `rev` (default HEAD), by repository path; {} for an empty repository. */
  async files(rev = 'HEAD'): Promise<Record<string, Buffer>> {
    if (rev === 'HEAD' && !(await this.head())) return {};
    const oid = await this.resolve(rev);
    const out: Record<string, Buffer> = {};
    await git.walk({
      fs,
      gitdir: this.gitdir,
      trees: [git.TREE({ ref: oid })],
      map: async (filepath, [entry]) => {
        if (!entry || filepath === '.') return true;
        if ((await entry.type()) === 'blob') out[filepath] = Buffer.from((await entry.content()) ?? new Uint8Array());
        return true;
      },
    });
    return out;
  }

  /** One file's contents at `rev` (default HEAD), or null when the commit has no such file. */
  async read(filepath: string, rev = 'HEAD'): Promise<Buffer | null> {
    if (rev === 'HEAD' && !(await this.head())) return null;
    const oid = await this.resolve(rev);
    try {
      const { blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid, filepath: normalizePath(filepath) });
      return Buffer.from(blob);
    } catch (err) {
      if ((err as { code?: string }).code === 'NotFoundError') return null;
      throw err;
    }
  }

  /** The newest `limit` commits of main, newest first. */
  async log(limit = 50): Promise<CommitInfo[]> {
    if (!(await this.head())) return [];
    const entries = await git.log({ fs, gitdir: this.gitdir, ref: REF, depth: limit });
    return entries.map(({ oid, commit }) => ({
      oid,
      message: commit.message,
      author: { name: commit.author.name, email: commit.author.email },
      date: new Date(commit.author.timestamp * 1000),
      parents: commit.parent,
    }));
  }

  /** New commit on main: `files` maps paths to new contents (null deletes); other paths are kept from HEAD. */
  commit(files: Record<string, string | Buffer | null>, message: string, author: CommitAuthor): Promise<string> {
    return this.write(async () => {
      const tree = await this.files('HEAD');
      for (const [p, content] of Object.entries(files)) {
        const key = normalizePath(p);
        if (content === null) delete tree[key];
        else tree[key] = Buffer.isBuffer(content) ? content : Buffer.from(content);
      }
      return tree;
    }, message, author);
  }

  /** Commit whose tree is exactly `files` (restore, rollback). */
  commitTree(files: Record<string, Buffer>, message: string, author: CommitAuthor): Promise<string> {
    return this.write(async () => {
      const tree: Record<string, Buffer> = {};
      for (const [p, content] of Object.entries(files)) tree[normalizePath(p)] = Buffer.from(content);
      return tree;
    }, message, author);
  }

  /**
   * Writes a commit of exactly `files` on `parent` without moving main: the console's save is
   * checked and applied before main moves, as a push is (advance() moves it after).
   */
  async writeCommitObject(files: Record<string, Buffer>, message: string, author: CommitAuthor, parent: string | null): Promise<string> {
    const tree: Record<string, Buffer> = {};
    for (const [p, content] of Object.entries(files)) tree[normalizePath(p)] = Buffer.from(content);
    return this.makeCommit(tree, message, author, parent);
  }

  /** Moves main from `expected` to `oid` (a commit written by writeCommitObject); false when main moved meanwhile. */
  advance(expected: string | null, oid: string): Promise<boolean> {
    return writes.run(this.gitdir, () => this.compareAndSwap(expected, oid));
  }

  private async makeCommit(files: Record<string, Buffer>, message: string, author: CommitAuthor, parent: string | null): Promise<string> {
    const treeOid = await this.writeTree(files);
    const now = Math.floor(Date.now() / 1000);
    const who = { name: author.name, email: author.email, timestamp: now, timezoneOffset: new Date().getTimezoneOffset() };
    return git.writeCommit({
      fs,
      gitdir: this.gitdir,
      commit: { message: message.endsWith('\n') ? message : message + '\n', tree: treeOid, parent: parent ? [parent] : [], author: who, committer: who },
    });
  }

  private write(build: () => Promise<Record<string, Buffer>>, message: string, author: CommitAuthor): Promise<string> {
    return writes.run(this.gitdir, async () => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const parent = await this.head();
        const oid = await this.makeCommit(await build(), message, author, parent);
        if (await this.compareAndSwap(parent, oid)) return oid;
        // a push moved main between reading HEAD and updating it: rebuild on the new HEAD
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 50));
      }
      throw new Error(`config repository ${this.gitdir}: main kept moving, gave up after ${CAS_ATTEMPTS} attempts`);
    });
  }

  /** Writes the nested trees for a flat path -> content map; returns the root tree's oid. */
  private async writeTree(files: Record<string, Buffer>): Promise<string> {
    interface Dir { files: Map<string, Buffer>; dirs: Map<string, Dir> }
    const root: Dir = { files: new Map(), dirs: new Map() };
    for (const [p, content] of Object.entries(files)) {
      const parts = p.split('/');
      let dir = root;
      for (const part of parts.slice(0, -1)) {
        let sub = dir.dirs.get(part);
        if (!sub) dir.dirs.set(part, (sub = { files: new Map(), dirs: new Map() }));
        dir = sub;
      }
      dir.files.set(parts.at(-1)!, content);
    }
    const writeDir = async (dir: Dir): Promise<string> => {
      const entries: { mode: string; path: string; oid: string; type: 'blob' | 'tree' }[] = [];
      for (const [name, content] of dir.files) {
        entries.push({ mode: '100644', path: name, oid: await git.writeBlob({ fs, gitdir: this.gitdir, blob: content }), type: 'blob' });
      }
      for (const [name, sub] of dir.dirs) entries.push({ mode: '040000', path: name, oid: await writeDir(sub), type: 'tree' });
      return git.writeTree({ fs, gitdir: this.gitdir, tree: entries });
    };
    return writeDir(root);
  }

  /**
   * Moves refs/heads/main from `expected` to `next` only if it still points at `expected`, holding
   * git's lock file (`main.lock`, created exclusively; git receive-pack takes the same lock).
   */
  private async compareAndSwap(expected: string | null, next: string): Promise<boolean> {
    const refFile = path.join(this.gitdir, REF);
    const lockFile = refFile + '.lock';
    fs.mkdirSync(path.dirname(refFile), { recursive: true, mode: 0o700 });
    let fd: number;
    try {
      fd = fs.openSync(lockFile, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false; // someone is updating main right now
      throw err;
    }
    try {
      if ((await this.head()) !== expected) return false;
      fs.writeSync(fd, next + '\n');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fd = -1;
      fs.renameSync(lockFile, refFile);
      return true;
    } finally {
      if (fd !== -1) fs.closeSync(fd);
      fs.rmSync(lockFile, { force: true });
    }
  }
}
