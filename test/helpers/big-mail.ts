/**
 * Large messages over real sockets, for the memory tests (test/security/memory-*.test.ts):
 * a deterministic big message, a binary SMTP client that writes DATA with back-pressure, a
 * minimal binary IMAP/POP3 client, and the appliance's resident memory from /proc.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';

/** `size` bytes (about) of CRLF lines; some start with "." (dot-stuffing on the wire). */
export function bigMessage(size: number, tag: string): Buffer {
  const head = Buffer.from(`From: <big@x.test>\r\nTo: <rcpt@y.test>\r\nSubject: big ${tag}\r\nMessage-ID: <${tag}@x.test>\r\n\r\n`);
  const lines: Buffer[] = [head];
  let n = head.length;
  const seed = crypto.createHash('sha256').update(tag).digest('hex');
  for (let i = 0; n < size; i++) {
    const line = Buffer.from(`${i % 97 === 0 ? '.' : ''}${seed.slice(i % 32, (i % 32) + 24)} line ${i} ${'x'.repeat(40)}\r\n`);
    lines.push(line);
    n += line.length;
  }
  return Buffer.concat(lines);
}

export const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/** Resident set now and its peak (VmRSS / VmHWM) of a process, in bytes. */
function processMemory(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** A process and its descendants (the appliance's supervisor and its workers). */
export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    for (const task of fs.readdirSync(`/proc/${all[i]}/task`)) {
      const children = fs.readFileSync(`/proc/${all[i]}/task/${task}/children`, 'utf8').trim();
      if (children) all.push(...children.split(/\s+/).map(Number));
    }
  }
  return all;
}

/**
 * RSS and peak RSS of a process and its descendants, summed (the sum of the peaks bounds the
 * peak of the sum from above).
 */
export function memoryOf(pid: number): { rss: number; peak: number } {
  let rss = 0;
  let peak = 0;
  for (const p of processTree(pid)) {
    try {
      const m = processMemory(p);
      rss += m.rss;
      peak += m.peak;
    } catch {
      // a process that ended between the listing and the read
    }
  }
  return { rss, peak };
}

/** Resets the peak RSS of a process and its descendants to their current RSS (Linux clear_refs "5"). */
export function resetPeak(pid: number): void {
  for (const p of processTree(pid)) fs.writeFileSync(`/proc/${p}/clear_refs`, '5');
}

/** A binary socket with "wait until the received bytes satisfy …" (chunks joined only when asked). */
export class BinaryClient {
  private chunks: Buffer[] = [];
  private length = 0;
  received = 0;
  closed = false;
  private waiters: (() => void)[] = [];
  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.length += d.length;
      this.received += d.length;
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<BinaryClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new BinaryClient(s)));
      s.once('error', reject);
    });
  }

  private flat(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }

  /** The last `n` bytes received and not consumed. */
  private tail(n: number): Buffer {
    const parts: Buffer[] = [];
    let got = 0;
    for (let i = this.chunks.length - 1; i >= 0 && got < n; i--) {
      parts.unshift(this.chunks[i]);
      got += this.chunks[i].length;
    }
    const t = Buffer.concat(parts);
    return t.subarray(Math.max(0, t.length - n));
  }

  /**
   * Waits until `test` returns an end offset; returns (and consumes) the bytes up to it. `ready`
   * (cheap) says when `test` (which sees all the bytes joined) is worth running.
   */
  until(test: (b: Buffer) => number, timeoutMs = 60_000, ready: () => boolean = () => true): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const fail = (why: string) => new Error(`${why}; have ${JSON.stringify(this.tail(200).toString('latin1'))}`);
      const timer = setTimeout(() => reject(fail('timeout')), timeoutMs);
      const check = () => {
        const end = this.length && ready() ? test(this.flat()) : -1;
        if (end >= 0) {
          clearTimeout(timer);
          const all = this.flat();
          this.chunks = end < all.length ? [all.subarray(end)] : [];
          this.length = all.length - end;
          return resolve(all.subarray(0, end));
        }
        if (this.closed) {
          clearTimeout(timer);
          return reject(fail('closed'));
        }
        this.waiters.push(check);
      };
      check();
    });
  }

  /** Waits until `n` bytes have arrived in all, consuming nothing. */
  async receivedAtLeast(n: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.received < n) {
      if (this.closed || Date.now() > deadline) throw new Error(`got ${this.received} of ${n} bytes`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 1000);
      });
    }
  }

  /** Waits for `n` bytes. */
  bytes(n: number, timeoutMs?: number): Promise<Buffer> {
    return this.until(() => n, timeoutMs, () => this.length >= n);
  }

  /** Waits until the bytes received end with `suffix` (the peer then sends nothing more). */
  endingWith(suffix: Buffer, timeoutMs?: number): Promise<Buffer> {
    return this.until((b) => b.length, timeoutMs, () => this.tail(suffix.length).equals(suffix));
  }

  /** Waits for a line matching `re` (line by line); returns everything up to and including it. */
  lineMatching(re: RegExp, timeoutMs?: number): Promise<Buffer> {
    return this.until((b) => {
      let from = 0;
      for (;;) {
        const nl = b.indexOf('\r\n', from);
        if (nl < 0) return -1;
        if (re.test(b.subarray(from, nl).toString('latin1'))) return nl + 2;
        from = nl + 2;
      }
    }, timeoutMs);
  }

  /** Writes with back-pressure. */
  async write(data: Buffer | string): Promise<void> {
    if (!this.socket.write(data)) await new Promise<void>((r) => this.socket.once('drain', () => r()));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** SMTP reply: the last line `ddd `. */
const smtpReply = (b: Buffer) => {
  const m = /(^|\r\n)\d{3} [^\r\n]*\r\n/.exec(b.toString('latin1'));
  return m ? m.index + m[0].length : -1;
};

/** RFC 5321 §4.5.2 transparency, in 1 MiB pieces. */
export function* dotStuffed(message: Buffer): Generator<Buffer> {
  const piece = 1024 * 1024;
  let prevLf = true;
  for (let i = 0; i < message.length; i += piece) {
    const chunk = message.subarray(i, i + piece);
    const parts: Buffer[] = [];
    let span = 0;
    for (let j = 0; j < chunk.length; j++) {
      if (prevLf && chunk[j] === 0x2e) {
        parts.push(chunk.subarray(span, j), Buffer.from('.'));
        span = j;
      }
      prevLf = chunk[j] === 0x0a;
    }
    parts.push(chunk.subarray(span));
    yield Buffer.concat(parts);
  }
}

/** One message over SMTP; returns the reply to the end of DATA (or the first refusal). */
export async function smtpSend(port: number, from: string, to: string | string[], message: Buffer): Promise<string> {
  const c = await BinaryClient.connect(port);
  try {
    const step = async (line: string, want: RegExp) => {
      await c.write(line + '\r\n');
      const r = (await c.until(smtpReply)).toString('latin1');
      if (!want.test(r)) throw new Error(`${line}: ${r}`);
    };
    await c.until(smtpReply);
    await step('EHLO client.test', /^250/m);
    await step(`MAIL FROM:<${from}>`, /^250/);
    for (const rcpt of [to].flat()) await step(`RCPT TO:<${rcpt}>`, /^250/);
    await step('DATA', /^354/);
    for (const piece of dotStuffed(message)) await c.write(piece);
    await c.write(message.subarray(-2).equals(Buffer.from('\r\n')) ? '.\r\n' : '\r\n.\r\n');
    const reply = (await c.until(smtpReply, 120_000)).toString('latin1');
    await c.write('QUIT\r\n');
    return reply;
  } finally {
    c.close();
  }
}

/** An IMAP session logged in with INBOX selected (LOGIN on the plain listener). */
export async function imapSelect(port: number, user: string, pass: string): Promise<BinaryClient> {
  const c = await BinaryClient.connect(port);
  await c.lineMatching(/^\* OK/);
  await c.write(`a LOGIN ${user} ${pass}\r\n`);
  const login = (await c.lineMatching(/^a /)).toString('latin1');
  if (!/^a OK/m.test(login)) throw new Error(`LOGIN: ${login}`);
  await c.write('b SELECT INBOX\r\n');
  const sel = (await c.lineMatching(/^b /)).toString('latin1');
  if (!/^b OK/m.test(sel)) throw new Error(`SELECT: ${sel}`);
  return c;
}

/** The literal of `* n FETCH (... BODY[] {size}\r\n<bytes>)` followed by the tagged reply. */
export async function imapFetchBody(c: BinaryClient, tag: string, timeoutMs = 120_000): Promise<Buffer> {
  const head = await c.lineMatching(/\{\d+\}$/, timeoutMs);
  const size = Number(/\{(\d+)\}\r\n$/.exec(head.toString('latin1'))![1]);
  const body = await c.bytes(size, timeoutMs);
  const rest = (await c.lineMatching(new RegExp(`^${tag} `), timeoutMs)).toString('latin1');
  if (!new RegExp(`^${tag} OK`, 'm').test(rest)) throw new Error(`FETCH: ${rest}`);
  return Buffer.from(body);
}

/** RETR over POP3 (USER/PASS), un-stuffed. */
export async function pop3Retr(port: number, user: string, pass: string, n: number): Promise<Buffer> {
  const c = await BinaryClient.connect(port);
  try {
    await c.lineMatching(/^\+OK/);
    for (const line of [`USER ${user}`, `PASS ${pass}`]) {
      await c.write(line + '\r\n');
      const r = (await c.lineMatching(/^[+-]/)).toString('latin1');
      if (!r.startsWith('+OK')) throw new Error(`${line}: ${r}`);
    }
    await c.write(`RETR ${n}\r\n`);
    const first = (await c.lineMatching(/^[+-]/)).toString('latin1');
    if (!first.startsWith('+OK')) throw new Error(`RETR: ${first}`);
    const raw = await c.endingWith(Buffer.from('\r\n.\r\n'), 120_000);
    await c.write('QUIT\r\n');
    return unstuff(raw);
  } finally {
    c.close();
  }
}

/** A multi-line POP3 body as received (after the +OK line): byte-stuffing undone, ".CRLF" gone. */
export function unstuff(raw: Buffer): Buffer {
  const body = raw.subarray(0, raw.length - 3);
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    if ((i === 0 || body[i - 1] === 0x0a) && body[i] === 0x2e) {
      parts.push(body.subarray(start, i));
      start = i + 1;
    }
  }
  parts.push(body.subarray(start));
  return Buffer.concat(parts);
}

/** APPEND of `message` as a synchronizing literal, sent with back-pressure; returns the tagged reply. */
export async function imapAppend(c: BinaryClient, tag: string, message: Buffer): Promise<string> {
  await c.write(`${tag} APPEND INBOX {${message.length}}\r\n`);
  const cont = (await c.lineMatching(/^(\+|\S+ (NO|BAD))/)).toString('latin1');
  if (!cont.startsWith('+')) return cont;
  for (let i = 0; i < message.length; i += 1024 * 1024) await c.write(message.subarray(i, i + 1024 * 1024));
  await c.write('\r\n');
  return (await c.lineMatching(new RegExp(`^${tag} `), 120_000)).toString('latin1');
}
