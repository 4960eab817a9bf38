/**
 * Listings read in pages (keyset pagination: each page starts after the last row of the one
 * before), with the event loop given back between pages.
 *
 * Why: better-sqlite3 is synchronous, and one `.all()` of a 100,000-message mailbox held the
 * loop ~400 ms (plus ~100 ms making the rows into messages), stalling every other session of the
 * worker. A page of PAGE_ROWS rows is ~3 ms of SQLite on the 2-core test machine.
 *
 * Consistency: the pages are not one snapshot. A read transaction cannot stay open across the
 * yields (the connection is shared by every session of the process, and its writes would join
 * it), so a change that commits while the pages are read may show in the later pages and not in
 * the earlier ones. The callers are built for that: they read the mailbox's HIGHESTMODSEQ and
 * UIDNEXT *before* the pages, so whatever commits during the paging has a higher MODSEQ and is
 * read again (or found gone) by the next refresh, and reaches the client as untagged EXISTS /
 * EXPUNGE / FETCH responses — which is what RFC 3501 §7 (and RFC 7162 §3.1 for MODSEQ) has a
 * server do with changes it learns of after SELECT. Keys never move backwards: UIDs are
 * allocated ascending (RFC 3501 §2.3.1.1), so paging by UID never skips a row that exists
 * throughout; paging by (MODSEQ, UID) may see a row twice when its MODSEQ rises meanwhile, which
 * `latestByUid` resolves.
 */
import { yieldToLoop } from '../../runtime/loop-slice.ts';

/** Rows a page: about 3 ms of SQLite for full message rows (100,000 took 350–480 ms in one read). */
export const PAGE_ROWS = 1000;
/** Rows a page of bare UIDs (or UID and MODSEQ): about 3 ms too (100,000 took 20–30 ms). */
export const UID_PAGE_ROWS = 10_000;

/**
 * Reads `page(after)` until a page comes back short, where `after` is the last row of the page
 * before (null for the first); `each` takes every page before the next is read.
 */
export async function readPages<R>(page: (after: R | null) => R[], each: (rows: R[]) => Promise<void> | void, size = PAGE_ROWS): Promise<void> {
  let after: R | null = null;
  for (;;) {
    const rows = page(after);
    if (rows.length) await each(rows);
    if (rows.length < size) return;
    after = rows[rows.length - 1];
    await yieldToLoop();
  }
}

/**
 * Rows read in (MODSEQ, UID) order, by UID, each UID once with the last version read (a row
 * whose MODSEQ rose while the pages were read comes again in a later page).
 */
export function latestByUid<T extends { uid: number }>(rows: T[]): T[] {
  // a stable sort keeps the versions of one UID in the order they were read
  const sorted = rows.sort((a, b) => a.uid - b.uid);
  const out: T[] = [];
  for (const r of sorted) {
    if (out.length && out[out.length - 1].uid === r.uid) out[out.length - 1] = r;
    else out.push(r);
  }
  return out;
}
