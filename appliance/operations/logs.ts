/**
 * The per-node log files (LG-1/CL-3: `<data>/logs/<node>/*.log`, one line per event, each line
 * starting with its ISO time) searched and followed, for `mailserver logs` and the console's Logs
 * page. A search reads each file as a stream and keeps only the last `limit` matching lines, so a
 * large log costs time, not memory; the lines of every file and node come out merged by time.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import { UsageError } from '../../core/errors.ts';

export interface LogLine {
  node: string;
  /** The file's name (`delivery.log`, `accept.log`, …). */
  file: string;
  /** The line's own time (its first field), '' when it has none. */
  time: string;
  text: string;
}

export interface LogQuery {
  /** One node's logs; default every node's. */
  node?: string;
  /** Case-insensitive text every returned line contains: an address, a message id … */
  grep?: string;
  /** At most this many lines, the latest (default 1000). */
  limit?: number;
}

export const DEFAULT_LIMIT = 1000;
/** Longest line kept; a longer one is cut (a hostile peer's command can be long). */
const MAX_LINE = 8192;
/** Longest search text. */
export const MAX_GREP = 512;

const logsRoot = (dataDir: string) => path.join(dataDir, 'logs');

/** The nodes that have logs on this data directory. */
export function logNodes(dataDir: string): string[] {
  try {
    return fs.readdirSync(logsRoot(dataDir), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch {
    return [];
  }
}

/** The log files to read: `node/file.log` paths of the nodes asked for. */
export function logFiles(dataDir: string, node?: string): { node: string; file: string; path: string }[] {
  const nodes = logNodes(dataDir);
  if (node !== undefined && !nodes.includes(node)) {
    throw new UsageError(nodes.length ? `no logs of node ${node} in ${logsRoot(dataDir)} (nodes: ${nodes.join(', ')})` : `no logs in ${logsRoot(dataDir)} yet`);
  }
  return (node !== undefined ? [node] : nodes).flatMap((n) => {
    const dir = path.join(logsRoot(dataDir), n);
    return fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort().map((f) => ({ node: n, file: f, path: path.join(dir, f) }));
  });
}

function toLine(node: string, file: string, raw: string): LogLine {
  const text = raw.length > MAX_LINE ? `${raw.slice(0, MAX_LINE)}…` : raw;
  const tab = text.indexOf('\t');
  const first = tab < 0 ? '' : text.slice(0, tab);
  return { node, file, time: /^\d{4}-\d\d-\d\dT/.test(first) ? first : '', text };
}

export function matcher(grep: string | undefined): (text: string) => boolean {
  if (grep === undefined || grep === '') return () => true;
  if (grep.length > MAX_GREP) throw new UsageError(`the search text is longer than ${MAX_GREP} characters`);
  const needle = grep.toLowerCase();
  return (text) => text.toLowerCase().includes(needle);
}

/** The latest `limit` lines matching the query, oldest first. */
export async function searchLogs(dataDir: string, q: LogQuery = {}): Promise<LogLine[]> {
  const limit = q.limit ?? DEFAULT_LIMIT;
  const match = matcher(q.grep);
  const kept: LogLine[] = [];
  for (const f of logFiles(dataDir, q.node)) {
    const lines: LogLine[] = [];
    const input = fs.createReadStream(f.path, { encoding: 'utf8' });
    for await (const raw of readline.createInterface({ input, crlfDelay: Infinity })) {
      if (!raw || !match(raw)) continue;
      lines.push(toLine(f.node, f.file, raw));
      if (lines.length > limit) lines.shift();
    }
    kept.push(...lines);
  }
  // a stable sort: lines of one file keep their order, files interleave by time
  kept.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return kept.slice(-limit);
}

/**
 * Calls `onLine` for each line appended to the logs from now on (files that appear later too),
 * checking every `intervalMs`; returns the stop function. A file that shrinks (rotated) is read
 * from its start again.
 */
export function followLogs(dataDir: string, q: Omit<LogQuery, 'limit'>, onLine: (line: LogLine) => void, intervalMs = 250): () => void {
  const match = matcher(q.grep);
  const offsets = new Map<string, number>();
  const partial = new Map<string, string>();
  // a character cut at a read boundary is completed by the next read
  const decoders = new Map<string, StringDecoder>();
  const files = () => {
    try {
      return logFiles(dataDir, q.node);
    } catch {
      return []; // the node's folder does not exist yet: it may come
    }
  };
  for (const f of files()) offsets.set(f.path, fs.statSync(f.path).size);
  let busy = false;
  const poll = () => {
    if (busy) return;
    busy = true;
    try {
      for (const f of files()) {
        const size = fs.statSync(f.path).size;
        let from = offsets.get(f.path) ?? 0;
        if (size < from) {
          from = 0;
          decoders.delete(f.path);
          partial.delete(f.path);
        }
        if (size === from) continue;
        const fd = fs.openSync(f.path, 'r');
        try {
          // at most 1 MiB a round: a burst is read over several rounds, never held at once
          const buf = Buffer.alloc(Math.min(size - from, 1 << 20));
          const n = fs.readSync(fd, buf, 0, buf.length, from);
          offsets.set(f.path, from + n);
          let decoder = decoders.get(f.path);
          if (!decoder) decoders.set(f.path, (decoder = new StringDecoder('utf8')));
          const text = (partial.get(f.path) ?? '') + decoder.write(buf.subarray(0, n));
          const parts = text.split('\n');
          partial.set(f.path, parts.pop()!.slice(-MAX_LINE));
          for (const raw of parts) if (raw && match(raw)) onLine(toLine(f.node, f.file, raw.replace(/\r$/, '')));
        } finally {
          fs.closeSync(fd);
        }
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(poll, intervalMs);
  return () => clearInterval(timer);
}
