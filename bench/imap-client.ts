/**
 * A minimal IMAP client for the benchmarks: tagged commands, literal-aware response framing,
 * timing per command. Not a general client: it trusts the server.
 */
import net from 'node:net';
import zlib from 'node:zlib';

export class BenchImap {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private tagN = 0;
  closed = false;
  /** COMPRESS=DEFLATE (RFC 4978) is on: writes go through this deflater. */
  private deflate: zlib.DeflateRaw | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.received(d));
    socket.on('close', () => {
      // under COMPRESS what the inflater still holds (the BYE, the OK of LOGOUT) comes first
      if (this.inflate) this.inflate.end();
      else this.ended();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<BenchImap> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(s));
      s.once('error', reject);
    });
    const c = new BenchImap(socket);
    await c.readUntil((line) => line.startsWith('* OK') || line.startsWith('* PREAUTH'));
    return c;
  }

  private inflate: zlib.InflateRaw | null = null;

  private ended(): void {
    this.closed = true;
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private received(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private write(data: string | Buffer): void {
    if (!this.deflate) return void this.socket.write(data);
    this.deflate.write(data);
    this.deflate.flush(zlib.constants.Z_SYNC_FLUSH);
  }

  /**
   * COMPRESS DEFLATE when `capabilities` (the LOGIN reply) offers it; false when it does not.
   * After the OK both directions are raw deflate, each command flushed.
   */
  async compress(capabilities: string): Promise<boolean> {
    if (!/COMPRESS=DEFLATE/i.test(capabilities)) return false;
    await this.cmd('COMPRESS DEFLATE');
    const inflate = zlib.createInflateRaw();
    this.inflate = inflate;
    inflate.on('data', (d: Buffer) => this.received(d));
    inflate.on('error', () => {
      this.socket.destroy();
      this.ended();
    });
    inflate.on('end', () => this.ended());
    this.socket.removeAllListeners('data');
    this.socket.on('data', (d: Buffer) => inflate.write(d));
    this.deflate = zlib.createDeflateRaw();
    this.deflate.on('data', (d: Buffer) => this.socket.write(d));
    return true;
  }

  /** Reads response lines (skipping literal bodies) until `done(line)`; returns everything read. */
  async readUntil(done: (line: string) => boolean): Promise<string> {
    let pos = 0;
    for (;;) {
      const nl = this.buf.indexOf('\r\n', pos);
      if (nl >= 0) {
        const line = this.buf.toString('latin1', pos, nl);
        const lit = /\{(\d+)\}$/.exec(line);
        if (lit) {
          const need = nl + 2 + Number(lit[1]);
          if (this.buf.length < need) {
            await this.wait();
            continue;
          }
          pos = need;
          continue;
        }
        pos = nl + 2;
        if (done(line)) {
          const out = this.buf.toString('latin1', 0, pos);
          this.buf = this.buf.subarray(pos);
          return out;
        }
        continue;
      }
      await this.wait();
    }
  }

  private wait(): Promise<void> {
    if (this.closed) throw new Error(`connection closed (waiting for the answer to ${this.last})`);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Sends a command (a literal as `{n}` is handled with its continuation) and waits for OK. */
  /** The last command's verb, for an error. */
  private last = '';

  async cmd(text: string, literal?: Buffer): Promise<string> {
    const tag = `t${++this.tagN}`;
    this.last = text.split(' ')[0]!;
    if (literal) {
      this.write(`${tag} ${text} {${literal.length}}\r\n`);
      await this.readUntil((l) => l.startsWith('+'));
      this.write(Buffer.concat([literal, Buffer.from('\r\n')]));
    } else this.write(`${tag} ${text}\r\n`);
    const out = await this.readUntil((l) => l.startsWith(`${tag} `));
    const last = out.trimEnd().split('\r\n').pop()!;
    if (!last.startsWith(`${tag} OK`)) throw new Error(`${text.slice(0, 40)}: ${last}`);
    return out;
  }

  /** IDLE, then DONE at once: the round trip of entering and leaving IDLE. */
  async idle(): Promise<void> {
    const tag = `t${++this.tagN}`;
    this.last = 'IDLE';
    this.write(`${tag} IDLE\r\n`);
    await this.readUntil((l) => l.startsWith('+'));
    this.write('DONE\r\n');
    await this.readUntil((l) => l.startsWith(`${tag} `));
  }

  close(): void {
    this.deflate?.destroy();
    this.socket.destroy();
  }
}
