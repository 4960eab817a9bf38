/**
 * Parsed client input waiting for a session's one-command-at-a-time loop (POP3, IMAP). Commands
 * a client pipelines wait here, in order. Back-pressure: at `max` queued events the socket is
 * no longer read, and below half of it reading resumes, so a flooding client costs bounded memory.
 */
import type net from 'node:net';

export class InputQueue<E> {
  private events: E[] = [];
  private waiter: ((ev: E | null) => void) | null = null;
  private paused = false;
  private ended = false;

  /** `socket` is a getter: STARTTLS/STLS replace the session's socket. */
  constructor(private readonly socket: () => net.Socket, private readonly max: number) {}

  get length(): number {
    return this.events.length;
  }

  push(ev: E): void {
    if (this.waiter) this.wake(ev);
    else this.events.push(ev);
    if (this.events.length >= this.max && !this.paused) {
      this.paused = true;
      this.socket().pause();
    }
  }

  /** The next event, waiting for one; null once the session has ended and nothing is queued. */
  next(): Promise<E | null> {
    const ev = this.events.shift();
    if (ev !== undefined) {
      if (this.paused && this.events.length < this.max / 2) {
        this.paused = false;
        this.socket().resume();
      }
      return Promise.resolve(ev);
    }
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Drops what is queued (input pipelined before a TLS upgrade); returns how many events. */
  clear(): number {
    const n = this.events.length;
    this.events = [];
    this.paused = false;
    return n;
  }

  /** The session ends: a waiting next() gets null, and so does every later one. */
  end(): void {
    this.ended = true;
    this.wake(null);
  }

  private wake(ev: E | null): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.(ev);
  }
}
