/** A bare POP3 client on a net.Socket, for the cases real clients never produce. */
import net from 'node:net';
import tls from 'node:tls';

export class RawClient {
  private buffer = '';
  private lines: string[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;
  readonly closed: Promise<void>;
  private readonly onData = (chunk: Buffer) => {
    this.buffer += chunk.toString('latin1');
    let nl: number;
    while ((nl = this.buffer.indexOf('\r\n')) !== -1) {
      this.lines.push(this.buffer.slice(0, nl));
      this.buffer = this.buffer.slice(nl + 2);
    }
    this.wake();
  };

  private constructor(private socket: net.Socket) {
    socket.on('data', this.onData);
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.ended = true;
      this.wake();
      resolve();
    }));
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next reply line; null once the server closed the connection. */
  async line(timeoutMs = 3000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    while (!this.lines.length) {
      if (this.ended) return null;
      if (Date.now() > deadline) throw new Error('no reply in time');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.lines.shift()!;
  }

  /** Reads a multi-line reply up to the terminating ".". */
  async multiline(): Promise<string[]> {
    const out: string[] = [];
    for (let l = await this.line(); l !== null && l !== '.'; l = await this.line()) out.push(l);
    return out;
  }

  /** Client side of STLS: the TLS handshake on the same socket (certificate not checked). */
  async startTls(): Promise<void> {
    this.socket.off('data', this.onData);
    const secure = tls.connect({ socket: this.socket, rejectUnauthorized: false, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    secure.on('data', this.onData);
    this.socket = secure;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
