/**
 * MF-2: a client IP the mail filter refuses at runtime (Level xx1) is a change of the
 * relay rules, so it goes into the config history: `data/refused-ips.txt` (the file `mailserver
 * export` writes) is committed with a message naming the IP and the rule, author "mailfilter".
 *
 * The commit never holds up the SMTP session: the store commits first (that is what refuses the
 * IP), the git commit is queued after it and runs in the background, one at a time (the
 * repository serializes its writes; the file is written from the store at commit time, so
 * commits in any order end with the store's state). Without a repository it is only logged.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../../core/log.ts';
import type { RefusedIp, RefusedIpStore, Stores } from '../../../core/store/ports.ts';
import { ConfigRepository, type CommitAuthor } from '../repository.ts';
import { formatSnapshot, PATHS } from './format.ts';

export const MAILFILTER_AUTHOR: CommitAuthor = { name: 'mailfilter', email: 'mailfilter@localhost' };

/** The text of data/refused-ips.txt for these entries (the export's format). */
export function refusedIpsFile(list: RefusedIp[]): string {
  return formatSnapshot({ domains: [], accounts: [], aliases: [], lists: {}, refusedIps: list, replied: [] })[PATHS.refusedIps];
}

export const hasRepository = (dataDir: string) => fs.existsSync(path.join(dataDir, 'config.git', 'HEAD'));

/** Commits the store's refused IPs as data/refused-ips.txt; null when the file was current. */
export async function commitRefusedIps(dataDir: string, store: RefusedIpStore, message: string, author: CommitAuthor): Promise<string | null> {
  const repo = await ConfigRepository.open(dataDir);
  const text = refusedIpsFile(await store.list());
  if ((await repo.read(PATHS.refusedIps))?.toString() === text) return null;
  return repo.commit({ [PATHS.refusedIps]: text }, message, author);
}

/**
 * Wraps the store's refused IPs so that each runtime addition or removal is committed to the
 * config repository of `dataDir` (when it has one). Returns `flush`, which waits for the queued
 * commits (the appliance calls it on shutdown).
 */
export interface RefusedHistory {
  flush(): Promise<void>;
  /** Records a change made by another process on this data directory (a worker other than the lead). */
  added(ip: string, reason: string): void;
  removed(ip: string): void;
}

export function recordRefusedIpsInHistory(stores: Stores, dataDir: string, log: Logger): RefusedHistory {
  const inner = stores.refusedIps;
  let queue: Promise<unknown> = Promise.resolve();
  if (!inner) return { flush: async () => {}, added: () => {}, removed: () => {} };
  const record = (message: string, author: CommitAuthor, fields: object) => {
    if (!hasRepository(dataDir)) {
      log.info(fields, `${message} (no config repository: not committed)`);
      return;
    }
    queue = queue.then(() => commitRefusedIps(dataDir, inner, message, author)).then(
      (oid) => { if (oid) log.info({ ...fields, commit: oid }, `config history: ${message}`); },
      (err: Error) => log.error({ ...fields, err: err.message }, `config history: could not commit "${message}"`),
    );
  };
  const added = (ip: string, reason: string) => record(`refuse ${ip}: ${reason}`, MAILFILTER_AUTHOR, { ip, reason });
  const removed = (ip: string) => record(`unrefuse ${ip}`, { name: 'mailserver', email: 'mailserver@localhost' }, { ip });
  stores.refusedIps = tellRefusedIpChanges(inner, { added, removed });
  return { flush: () => queue.then(() => undefined), added, removed };
}

/** The refused-IP store, telling `to` of every addition and removal it made. */
export function tellRefusedIpChanges(inner: RefusedIpStore, to: { added(ip: string, reason: string): void; removed(ip: string): void }): RefusedIpStore {
  return {
    has: (ip) => inner.has(ip),
    list: () => inner.list(),
    async add(ip, reason) {
      const added = await inner.add(ip, reason);
      if (added) to.added(ip, reason);
      return added;
    },
    async remove(ip) {
      const removed = await inner.remove(ip);
      if (removed) to.removed(ip);
      return removed;
    },
  };
}
