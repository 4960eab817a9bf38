/**
 * A deadline per line of client input (Postfix smtpd_per_record_deadline): from the first byte
 * of a line to its LF. A client that trickles a byte now and then keeps an idle timeout from
 * firing, but not this one. Fed with the plain-text bytes as they arrive; `onExpire` runs once.
 */
export class LineDeadline {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: () => number, private readonly onExpire: () => void) {}

  feed(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    if (!buf.length) return;
    const lf = buf.lastIndexOf(0x0a);
    if (lf === -1) {
      if (!this.timer) this.arm();
      return;
    }
    this.stop();
    // the bytes after the last LF start the next line
    if (lf < buf.length - 1) this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onExpire();
    }, this.ms());
    this.timer.unref();
  }
}
