/**
 * Which commits of the config repository this node ran and which it refused:
 * `<dataDir>/config-applies.jsonl`, one JSON line per event (start, push, rollback, cluster
 * commit), appended and never rewritten. `config log` marks commits from it and `config rollback`
 * without REV goes back to the commit applied before the running one (HEAD~1 can be a commit that
 * never ran: a refused one, an import-file, runtime data).
 */
import fs from 'node:fs';
import path from 'node:path';

export const JOURNAL_FILE = 'config-applies.jsonl';
/** Read back at most this much of the end of the journal (it grows by one line per apply). */
const READ_LIMIT = 1024 * 1024;

export interface ApplyEvent {
  /** ISO time. */
  at: string;
  commit: string;
  result: 'applied' | 'refused';
  /** What brought it: `start`, `pushed by …`, `rollback by …`, a cluster label. */
  label: string;
  /** For a refusal: the first problems. */
  errors?: string[];
}

export function recordApply(dataDir: string, e: Omit<ApplyEvent, 'at'>): void {
  const line = JSON.stringify({ at: new Date().toISOString(), ...e, errors: e.errors?.slice(0, 5) }) + '\n';
  fs.appendFileSync(path.join(dataDir, JOURNAL_FILE), line, { mode: 0o600 });
}

/** Every event, oldest first ([] without a journal); a torn last line is skipped. */
export function readApplies(dataDir: string): ApplyEvent[] {
  let text: string;
  try {
    const file = path.join(dataDir, JOURNAL_FILE);
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r');
    try {
      const n = Math.min(size, READ_LIMIT);
      const buf = Buffer.alloc(n);
      fs.readSync(fd, buf, 0, n, size - n);
      text = buf.toString('utf8');
      if (size > n) text = text.slice(text.indexOf('\n') + 1);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: ApplyEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as ApplyEvent;
      if (typeof e.commit === 'string' && (e.result === 'applied' || e.result === 'refused')) out.push(e);
    } catch {
      /* a line cut by a crash */
    }
  }
  return out;
}

/** The commit running now (the last applied) and the one applied before it, if any. */
export function lastApplied(events: ApplyEvent[]): { running?: string; previous?: string } {
  const applied = events.filter((e) => e.result === 'applied').map((e) => e.commit);
  const running = applied.at(-1);
  const previous = [...applied].reverse().find((c) => c !== running);
  return { running, previous };
}

/** Per commit: its last state (`applied`, `refused`) and whether it runs now. */
export function commitStates(events: ApplyEvent[]): Map<string, 'running' | 'applied' | 'refused'> {
  const states = new Map<string, 'running' | 'applied' | 'refused'>();
  for (const e of events) if (!(e.result === 'refused' && states.get(e.commit) === 'applied')) states.set(e.commit, e.result);
  const { running } = lastApplied(events);
  if (running) states.set(running, 'running');
  return states;
}
