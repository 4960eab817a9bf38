/**
 * A minimal IMAP client for the benchmarks: tagged commands, literal-aware response framing,
 * timing per command. Not a general client: it trusts the server.
 */
import net from 'node:net';

export class BenchImap {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private tagN = 0;
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      const w = this.waiter;
      this.waiter = null;
      w?.();
    });
    socket.on('close', () => {
      this.closed = true;
      const w = this.waiter;
      this.waiter = null;
      w?.();
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
    if (this.closed) throw new Error('connection closed');
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Sends a command (a literal as `{n}` is handled with its continuation) and waits for OK. */
  async cmd(text: string, literal?: Buffer): Promise<string> {
    const tag = `t${++this.tagN}`;
    if (literal) {
      this.socket.write(`${tag} ${text} {${literal.length}}\r\n`);
      await this.readUntil((l) => l.startsWith('+'));
      this.socket.write(Buffer.concat([literal, Buffer.from('\r\n')]));
    } else this.socket.write(`${tag} ${text}\r\n`);
    const out = await this.readUntil((l) => l.startsWith(`${tag} `));
    const last = out.trimEnd().split('\r\n').pop()!;
    if (!last.startsWith(`${tag} OK`)) throw new Error(`${text.slice(0, 40)}: ${last}`);
    return out;
  }

  /** IDLE, then DONE at once: the round trip of entering and leaving IDLE. */
  async idle(): Promise<void> {
    const tag = `t${++this.tagN}`;
    this.socket.write(`${tag} IDLE\r\n`);
    await this.readUntil((l) => l.startsWith('+'));
    this.socket.write('DONE\r\n');
    await this.readUntil((l) => l.startsWith(`${tag} `));
  }

  close(): void {
    this.socket.destroy();
  }
}
