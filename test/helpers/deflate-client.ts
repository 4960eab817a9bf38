/**
 * An IMAP line client that can switch to COMPRESS=DEFLATE (RFC 4978): raw deflate both ways
 * with Node's zlib, every command flushed (Z_SYNC_FLUSH). Before the switch it reads and writes
 * plain text, so one client covers LOGIN, STARTTLS and the COMPRESS exchange itself.
 */
import net from 'node:net';
import tls from 'node:tls';
import zlib from 'node:zlib';

export class DeflateClient {
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private deflate: zlib.DeflateRaw | null = null;
  private inflate: zlib.InflateRaw | null = null;
  closed = false;
  /** Compressed octets received (after COMPRESS). */
  wireIn = 0;

  private constructor(private socket: net.Socket) {
    this.listen(socket);
  }

  static async connect(port: number, opts: { tls?: boolean } = {}): Promise<DeflateClient> {
    const s = await new Promise<net.Socket>((resolve, reject) => {
      const sock = opts.tls
        ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => resolve(sock))
        : net.connect(port, '127.0.0.1', () => resolve(sock));
      sock.once('error', reject);
    });
    const c = new DeflateClient(s);
    await c.line();
    return c;
  }

  private listen(socket: net.Socket): void {
    socket.on('data', (d: Buffer) => this.plain(d));
    socket.on('close', () => {
      // what the inflater still holds arrives before the close is seen
      if (this.inflate) this.inflate.end();
      else this.ended();
    });
    socket.on('error', () => undefined);
  }

  private ended(): void {
    this.closed = true;
    this.wake();
  }

  private plain(d: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, d]);
    this.wake();
  }

  private wake(): void {
    this.waiters.splice(0).forEach((w) => w());
  }

  /** After STARTTLS's OK. */
  async startTls(): Promise<void> {
    this.socket.removeAllListeners('data');
    const secure = tls.connect({ socket: this.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.listen(secure);
  }

  /** How the server's compressed stream ended: with its final block, or cut by the close. */
  streamEnd: 'final' | 'cut' | null = null;

  /** After COMPRESS's OK: what the server sends from here is inflated, what we send deflated. */
  startDeflate(): void {
    const inflate = zlib.createInflateRaw();
    this.inflate = inflate;
    inflate.on('data', (d: Buffer) => this.plain(d));
    // a stream cut without a final block ends in an error: either way the connection is over
    inflate.on('error', () => {
      this.streamEnd ??= 'cut';
      this.ended();
    });
    inflate.on('end', () => {
      this.streamEnd ??= 'final';
      this.ended();
    });
    this.socket.removeAllListeners('data');
    this.socket.on('data', (d: Buffer) => {
      this.wireIn += d.length;
      inflate.write(d);
    });
    this.deflate = zlib.createDeflateRaw();
    this.deflate.on('data', (d: Buffer) => this.socket.write(d));
  }

  /** Sends raw bytes already compressed (a crafted stream). */
  writeRaw(data: Buffer): void {
    this.socket.write(data);
  }

  write(data: string | Buffer): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (!this.deflate) return void this.socket.write(bytes);
    this.deflate.write(bytes);
    this.deflate.flush(zlib.constants.Z_SYNC_FLUSH);
  }

  async line(timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.buffer.indexOf('\r\n');
      if (i >= 0) {
        const out = this.buffer.subarray(0, i + 2).toString('utf8');
        this.buffer = this.buffer.subarray(i + 2);
        return out;
      }
      if (this.closed) throw new Error(`connection closed; buffer: ${JSON.stringify(this.buffer.subarray(0, 200).toString('latin1'))}`);
      if (Date.now() > deadline) throw new Error(`timeout; buffer: ${JSON.stringify(this.buffer.subarray(0, 200).toString('latin1'))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** `n` octets (a literal's body). */
  async bytes(n: number, timeoutMs = 15_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffer.length < n) {
      if (this.closed || Date.now() > deadline) throw new Error(`short literal: ${this.buffer.length} of ${n}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** Sends `tag line` and returns the response lines up to the tagged one (literals inline). */
  async cmd(line: string, tag = 'a'): Promise<string> {
    this.write(`${tag} ${line}\r\n`);
    let out = '';
    for (;;) {
      const l = await this.line();
      out += l;
      const lit = /\{(\d+)\}\r\n$/.exec(l);
      if (lit) {
        out += (await this.bytes(Number(lit[1]))).toString('utf8');
        continue;
      }
      if (l.startsWith(`${tag} `)) return out;
    }
  }

  /** Resolves when the server has closed the connection. */
  async waitClosed(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('still open');
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** What is buffered, as text. */
  pending(): string {
    return this.buffer.toString('utf8');
  }

  close(): void {
    this.deflate?.destroy();
    this.socket.destroy();
  }
}
