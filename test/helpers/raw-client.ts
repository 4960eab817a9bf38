/** A raw line client for the ugly cases real clients never produce. */
import net from 'node:net';
import tls from 'node:tls';

export class RawClient {
  private buffer = '';
  private waiters: (() => void)[] = [];
  closed = false;
  constructor(public socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buffer += d;
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, opts: { tls?: boolean } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = opts.tls
        ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => resolve(new RawClient(s)))
        : net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** An SMTP session past the greeting and `EHLO client.test`. */
  static async smtp(port: number, opts: { tls?: boolean } = {}): Promise<RawClient> {
    const c = await RawClient.connect(port, opts);
    await c.reply();
    await c.command('EHLO client.test');
    return c;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Waits until the buffer holds a complete SMTP reply (last line `ddd `) and returns it. */
  async reply(timeoutMs = 5000): Promise<string> {
    return this.until((b) => {
      const m = /(^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(b);
      return m ? m.index + m[0].length : -1;
    }, timeoutMs);
  }

  /** Waits for one line. */
  async line(timeoutMs = 5000): Promise<string> {
    return this.until((b) => {
      const i = b.indexOf('\r\n');
      return i >= 0 ? i + 2 : -1;
    }, timeoutMs);
  }

  /** Exactly `n` more characters (a literal's bytes, latin1). */
  async bytes(n: number, timeoutMs = 5000): Promise<string> {
    return this.until((b) => (b.length >= n ? n : -1), timeoutMs);
  }

  /** Everything received within `ms`. */
  async drain(ms: number): Promise<string> {
    await new Promise((r) => setTimeout(r, ms));
    const out = this.buffer;
    this.buffer = '';
    return out;
  }

  async command(line: string): Promise<string> {
    this.write(line + '\r\n');
    return this.reply();
  }

  private async until(find: (b: string) => number, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = find(this.buffer);
      if (end >= 0) {
        const out = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end);
        return out;
      }
      if (this.closed) throw new Error(`connection closed; buffer: ${JSON.stringify(this.buffer.slice(0, 200))}`);
      if (Date.now() > deadline) throw new Error(`timeout; buffer: ${JSON.stringify(this.buffer.slice(0, 200))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Upgrades to TLS in place (after a 220 to STARTTLS/STLS). */
  async startTls(): Promise<void> {
    const secure = tls.connect({ socket: this.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket.removeAllListeners('data');
    this.socket = secure;
    this.buffer = '';
    secure.setEncoding('latin1');
    secure.on('data', (d: string) => {
      this.buffer += d;
      this.waiters.splice(0).forEach((w) => w());
    });
    secure.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((w) => w());
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
