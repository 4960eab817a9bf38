/**
 * The dashboard's activity: messages accepted and refused (the SMTP receive log) and recipients
 * delivered and deferred (the delivery log) per minute over the last hours, summed over every
 * node's logs, and the latest refusals with their reason. Counted from the per-node log files
 * (LG-1), so it covers every node that shares the data directory's logs and survives restarts;
 * each file is read from its end back to the window's start only (log-tail.ts).
 */
import path from 'node:path';
import { nodeLogDir } from '../../core/log.ts';
import { logNodes } from './logs.ts';
import { linesSince } from './log-tail.ts';
import { RECEIVE_LOG } from '../smtp/receive-log.ts';
import { LOG_FILES } from '../delivery/logs.ts';

export const SERIES = ['accepted', 'refused', 'delivered', 'deferred'] as const;
export type Series = (typeof SERIES)[number];

export interface Refusal {
  time: string;
  node: string;
  client: string;
  stage: string;
  address: string;
  reply: string;
}

export interface Activity {
  /** The first minute of the window (ms since the epoch, a whole minute). */
  start: number;
  minutes: number;
  /** Per series, one count per minute, oldest first. */
  counts: Record<Series, number[]>;
  totals: Record<Series, number>;
  /** Latest first. */
  refusals: Refusal[];
  /** Some file's window was longer than the byte cap: its oldest minutes are undercounted. */
  truncated: boolean;
}

export interface ActivityQuery {
  hours: number;
  now?: number;
  /** Refusals listed (default 20). */
  refusals?: number;
  /** Bytes read at most from the end of each file (default 64 MiB; the console passes `admin.console.activityScanBytes`). */
  maxBytesPerFile?: number;
}

export async function recentActivity(dataDir: string, q: ActivityQuery): Promise<Activity> {
  const minutes = Math.round(q.hours * 60);
  const end = Math.floor((q.now ?? Date.now()) / 60_000) * 60_000 + 60_000;
  const start = end - minutes * 60_000;
  const since = new Date(start).toISOString();
  const counts = Object.fromEntries(SERIES.map((s) => [s, new Array<number>(minutes).fill(0)])) as Record<Series, number[]>;
  const refusals: Refusal[] = [];
  const listed = q.refusals ?? 20;
  const maxBytes = q.maxBytesPerFile ?? 64 * 1024 * 1024;
  let truncated = false;
  const count = (series: Series, time: string) => {
    const i = Math.floor((Date.parse(time) - start) / 60_000);
    if (i >= 0 && i < minutes) counts[series][i]++;
  };
  for (const node of logNodes(dataDir)) {
    const dir = nodeLogDir(dataDir, node);
    const received = await linesSince(path.join(dir, RECEIVE_LOG), since, maxBytes);
    // this node's lines come oldest first: only its latest `listed` refusals can be shown
    const mine: Refusal[] = [];
    for (const line of received.lines) {
      // time client session accepted|refused …
      const f = line.split('\t');
      if (f[3] === 'accepted') count('accepted', f[0]!);
      else if (f[3] === 'refused') {
        count('refused', f[0]!);
        mine.push({ time: f[0]!, node, client: f[1]!, stage: f[4]!, address: f[5]!, reply: `${f[6]} ${f[7]} ${f.slice(8).join(' ')}` });
        if (mine.length > 2 * listed) mine.splice(0, mine.length - listed);
      }
    }
    refusals.push(...mine.slice(-listed));
    const delivered = await linesSince(path.join(dir, LOG_FILES.delivery), since, maxBytes);
    for (const line of delivered.lines) {
      // time queue-id <from> <rcpt> sent|deferred|failed attempt detail
      const result = line.split('\t', 5)[4];
      if (result === 'sent') count('delivered', line.slice(0, line.indexOf('\t')));
      else if (result === 'deferred') count('deferred', line.slice(0, line.indexOf('\t')));
    }
    truncated ||= received.truncated || delivered.truncated;
  }
  refusals.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
  const totals = Object.fromEntries(SERIES.map((s) => [s, counts[s].reduce((a, b) => a + b, 0)])) as Record<Series, number>;
  return { start, minutes, counts, totals, refusals: refusals.slice(0, listed), truncated };
}
