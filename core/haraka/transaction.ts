/**
 * Our Transaction as Haraka's `connection.transaction`. One adapter per Transaction (WeakMap),
 * so notes/results persist across hooks. `header`, `message_stream` and `body` are built from
 * tx.message once DATA has ended; add_header/remove_header are recorded in tx.addedHeaders /
 * tx.removedHeaders (the appliance applies them) and mirrored in `header` for later plugins.
 */
import type { Recipient, Transaction, EnvelopeAddress } from '../session.ts';
import { toAddress } from './address.ts';
import { LOG_FIELDS } from './log.ts';
import { emailMessage, ResultStore, type Address, type Body, type Header, type MessageStream } from './modules.ts';
import { asHarakaNotes, type HarakaNotes } from './notes.ts';
import type { HarakaConnection } from './connection.ts';

interface Parsed {
  message: Buffer;
  header: Header;
  headerLines: string[];
  /** Offset of the first body byte (after the blank line), message.length when there is none. */
  bodyStart: number;
  stream?: MessageStream;
  body?: Body;
}

const addressCache = new WeakMap<EnvelopeAddress, { src: string; addr: Address }>();

function addressOf(env: EnvelopeAddress): Address {
  const hit = addressCache.get(env);
  if (hit && hit.src === env.address) return hit.addr;
  const addr = toAddress(env.address);
  addressCache.set(env, { src: env.address, addr });
  return addr;
}

/** Splits a buffer into lines, each keeping its LF. */
function lines(buf: Buffer, from = 0, to = buf.length): Buffer[] {
  const out: Buffer[] = [];
  let start = from;
  while (start < to) {
    const lf = buf.indexOf(0x0a, start);
    const end = lf < 0 || lf >= to ? to : lf + 1;
    out.push(buf.subarray(start, end));
    start = end;
  }
  return out;
}

function headerEnd(message: Buffer): { headerEnd: number; bodyStart: number } {
  if (message[0] === 0x0a) return { headerEnd: 0, bodyStart: 1 };
  if (message[0] === 0x0d && message[1] === 0x0a) return { headerEnd: 0, bodyStart: 2 };
  const crlf = message.indexOf('\r\n\r\n');
  const lf = message.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf + 1 <= lf)) return { headerEnd: crlf + 2, bodyStart: crlf + 4 };
  if (lf >= 0) return { headerEnd: lf + 1, bodyStart: lf + 2 };
  return { headerEnd: message.length, bodyStart: message.length };
}

export class HarakaTransaction {
  readonly #tx: Transaction;
  readonly #conn: HarakaConnection;
  #preHeader: Header = new emailMessage.Header();
  #parsed?: Parsed;
  #attachmentStart: ((...args: unknown[]) => void)[] = [];
  /** The recipient being checked by a rcpt hook: Haraka lists it in rcpt_to while its hooks run. */
  pendingRcpt?: Recipient;

  readonly uuid: string;
  readonly notes: HarakaNotes;
  readonly results: ResultStore;
  parse_body = false;
  discard_data = false;
  encoding = 'utf8';
  mime_part_count = 0;
  rcpt_count = { accept: 0, tempfail: 0, reject: 0 };
  msg_status: string | undefined = undefined;
  data_post_start: number | null = null;
  data_post_delay = 0;

  constructor(tx: Transaction, conn: HarakaConnection) {
    this.#tx = tx;
    this.#conn = conn;
    this.uuid = tx.id;
    this.notes = asHarakaNotes(tx.notes);
    if (!Array.isArray(this.notes.skip_plugins)) this.notes.skip_plugins = [];
    this.results = new ResultStore(conn);
  }

  /** The core transaction behind this adapter. */
  get core(): Transaction {
    return this.#tx;
  }

  get mail_from(): Address | null {
    return this.#tx.mailFrom ? addressOf(this.#tx.mailFrom) : null;
  }

  get rcpt_to(): Address[] {
    const list = this.#tx.rcptTo.map(addressOf);
    if (this.pendingRcpt && !this.#tx.rcptTo.includes(this.pendingRcpt)) list.push(addressOf(this.pendingRcpt));
    return list;
  }

  get data_bytes(): number {
    return this.#tx.message?.length ?? 0;
  }

  /** The parsed header (empty before DATA has ended). */
  get header(): Header {
    return this.#parse()?.header ?? this.#preHeader;
  }

  get header_lines(): string[] {
    return this.#parse()?.headerLines ?? [];
  }

  /**
   * The message as haraka-message-stream (pipe(), get_data(), async iteration), with the current
   * header in place of the received one, as in Haraka. Null before DATA has ended.
   */
  get message_stream(): MessageStream | null {
    const p = this.#parse();
    if (!p) return null;
    if (!p.stream) {
      // The message is in memory already: never spool it to a file.
      const stream = new emailMessage.stream({ main: { spool_after: -1 } }, this.uuid, p.header.header_list);
      for (const line of lines(p.message)) {
        // Haraka stores the data dot-stuffed as received; pipe() un-stuffs by default.
        stream.add_line(line[0] === 0x2e ? Buffer.concat([Buffer.from('.'), line]) : line);
      }
      if (p.message.length && p.message[p.message.length - 1] !== 0x0a) stream.add_line('\r\n');
      stream.add_line_end();
      p.stream = stream;
    }
    return p.stream;
  }

  /** The MIME body tree, when a plugin set parse_body (or attachment_hooks) before reading it. */
  get body(): Body | null {
    const p = this.#parse();
    if (!p || !this.parse_body) return null;
    if (!p.body) {
      const body = new emailMessage.Body(p.header);
      body.on('mime_boundary', () => this.mime_part_count++);
      for (const hook of this.#attachmentStart) body.on('attachment_start', hook);
      for (const line of lines(p.message, p.bodyStart)) {
        const l = line.length >= 2 && line[line.length - 2] === 0x0d ? Buffer.concat([line.subarray(0, -2), Buffer.from('\n')]) : line;
        body.parse_more(l);
      }
      body.parse_end();
      p.body = body;
    }
    return p.body;
  }

  add_header(key: string, value: string): void {
    this.#tx.addedHeaders.push({ name: key, value });
    this.header.add_end(key, value);
  }

  add_leading_header(key: string, value: string): void {
    this.#tx.addedHeaders.push({ name: key, value });
    this.header.add(key, value);
  }

  remove_header(key: string): void {
    const lower = key.toLowerCase();
    const added = this.#tx.addedHeaders;
    for (let i = added.length - 1; i >= 0; i--) if (added[i].name.toLowerCase() === lower) added.splice(i, 1);
    if (!this.#tx.removedHeaders.some((h) => h.toLowerCase() === lower)) this.#tx.removedHeaders.push(key);
    this.header.remove(key);
  }

  attachment_hooks(start: (...args: unknown[]) => void): void {
    this.parse_body = true;
    this.#attachmentStart.push(start);
  }

  set_banner(): void {
    this.parse_body = true;
    this.#conn.logwarn(this, 'transaction.set_banner is not supported by the Haraka shim: the body is not rewritten');
  }

  add_body_filter(): void {
    this.parse_body = true;
    this.#conn.logwarn(this, 'transaction.add_body_filter is not supported by the Haraka shim: the body is not rewritten');
  }

  incr_mime_count(): void {
    this.mime_part_count++;
  }

  [LOG_FIELDS](): Record<string, unknown> {
    return { tx: this.uuid };
  }

  #parse(): Parsed | undefined {
    const message = this.#tx.message;
    if (!message) return undefined;
    if (this.#parsed?.message === message) return this.#parsed;
    const { headerEnd: end, bodyStart } = headerEnd(message);
    const headerLines = lines(message, 0, end).map((l) => l.toString('utf8').replace(/\r\n$/, '\n'));
    const header = new emailMessage.Header();
    header.parse(headerLines);
    // Changes made before the message arrived (or to a previous message buffer) are replayed.
    for (const name of this.#tx.removedHeaders) header.remove(name);
    for (const { name, value } of this.#tx.addedHeaders) header.add_end(name, value);
    this.#parsed = { message, header, headerLines, bodyStart };
    return this.#parsed;
  }
}

const adapters = new WeakMap<Transaction, HarakaTransaction>();

/** The Haraka view of `tx` (one per Transaction). */
export function transactionAdapter(tx: Transaction, conn: HarakaConnection): HarakaTransaction {
  let t = adapters.get(tx);
  if (!t) {
    t = new HarakaTransaction(tx, conn);
    adapters.set(tx, t);
  }
  return t;
}
