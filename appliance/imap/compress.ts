/**
 * COMPRESS=DEFLATE (RFC 4978): raw deflate (RFC 1951, no zlib or gzip wrapper) in both
 * directions, with Node's zlib. Output is flushed with Z_SYNC_FLUSH after every response
 * (§4: the client must never wait on output the server holds back). Input is inflated into
 * the command reader as it comes; the reader's line and literal limits bound what a small
 * compressed stream may expand to, and the inflater stops while the socket is paused (the input
 * queue is full or a literal is being spooled), so a decompression bomb costs a bounded amount
 * of memory before the line limit, the literal limit or the queue stops it.
 */
import type net from 'node:net';
import zlib from 'node:zlib';

/** zlib's output chunk: the most one inflate step hands the reader at once. */
const CHUNK = 16 * 1024;

export class DeflateLink {
  private readonly inflate = zlib.createInflateRaw({ chunkSize: CHUNK });
  private readonly deflate = zlib.createDeflateRaw({ chunkSize: CHUNK });
  private failed = false;
  private readonly onResume = () => {
    if (!this.failed) this.inflate.resume();
  };

  /**
   * `plain` gets the inflated client bytes; `corrupt` is called once when the client's stream
   * is not valid deflate data (the session ends).
   */
  constructor(private readonly socket: net.Socket, plain: (chunk: Buffer) => void, corrupt: (err: Error) => void) {
    this.inflate.on('data', (chunk: Buffer) => {
      plain(chunk);
      // the session paused the socket (back-pressure): stop inflating what is already buffered
      if (socket.isPaused()) this.inflate.pause();
    });
    this.inflate.on('error', (err) => {
      if (this.failed) return;
      this.failed = true;
      corrupt(err);
    });
    socket.on('resume', this.onResume);
    // back-pressure: a client that does not read holds the deflater, and so the command's writes
    this.deflate.pipe(socket, { end: false });
    this.deflate.on('error', () => socket.destroy());
  }

  /** Compressed bytes from the socket. */
  received(chunk: Buffer): void {
    if (!this.failed) this.inflate.write(chunk);
  }

  /** Compresses `data` and flushes it; resolves once it is handed to the socket. */
  send(data: string | Buffer): Promise<void> {
    // (after finish() the stream is complete: nothing more may be written to it)
    if (this.socket.destroyed || this.deflate.writableEnded) return Promise.resolve();
    return new Promise((resolve) => {
      // a string goes out as UTF-8, as socket.write() would send it
      this.deflate.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      this.deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => void this.handedOver().then(resolve));
    });
  }

  /**
   * The flush callback can come before the pipe has written the last compressed chunk to the
   * socket: a session that ends the socket right after (LOGOUT's BYE and OK) would cut it off.
   * Resolves when the deflater holds nothing the pipe has not written yet.
   */
  private handedOver(): Promise<void> {
    if (this.deflate.readableLength === 0 || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.deflate.readableLength > 0 && !this.socket.destroyed) return;
        this.deflate.off('data', check);
        this.socket.off('close', check);
        resolve();
      };
      this.deflate.on('data', check);
      this.socket.on('close', check);
    });
  }

  /**
   * Ends the compressed stream (Z_FINISH: the final deflate block) and resolves once all of it is
   * handed to the socket. The client's inflater then sees a complete stream before the
   * connection closes, and inflates the last response (LOGOUT's OK) without an "unexpected end
   * of file" that some clients let win over it.
   */
  finish(): Promise<void> {
    if (this.socket.destroyed || this.deflate.writableEnded) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('close', done);
        resolve();
      };
      // 'end': the pipe has read the last compressed byte (and written it to the socket)
      this.deflate.once('end', done);
      this.deflate.once('error', done);
      this.socket.once('close', done);
      this.deflate.end();
    });
  }

  /** The session is ending: what the client still sends is not inflated. */
  stopInput(): void {
    this.failed = true;
    this.inflate.destroy();
  }

  close(): void {
    this.failed = true;
    this.socket.off('resume', this.onResume);
    this.deflate.unpipe(this.socket);
    this.inflate.destroy();
    this.deflate.destroy();
  }
}
