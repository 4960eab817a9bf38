/**
 * The listening sockets of a running appliance, kept across config generations: a listener
 * whose address did not change keeps its socket, and only the handler its connections go to
 * changes when a new generation takes over. A generation being built takes a Lease; the
 * lease binds only the addresses not bound yet, and on commit its handlers take over every
 * socket it uses and the sockets no longer configured are closed; on abort only what it
 * bound is closed.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../core/log.ts';
import type { ListenerSpec } from '../net/listener-spec.ts';
import { listenError, type SocketSource } from '../net/session-listeners.ts';

type Handler = (socket: net.Socket) => void;

interface Slot {
  key: string;
  /** `smtp.listen[1] 127.0.0.1:2525`, for the apply result and logs. */
  label: string;
  server: net.Server;
  port: number;
  handler: Handler | null;
  /** Connections accepted before the first handler took over (a lease not yet committed). */
  waiting: net.Socket[];
}

/** `smtp.listen[1] 127.0.0.1:2525`; a port-0 spec also names the port it got. */
const labelOf = (spec: ListenerSpec, where: string, port: number) => `${where} ${spec.spec}${spec.port === 0 ? ` (port ${port})` : ''}`;

/**
 * The identity of a listening address. A fixed port is its host and port, whatever the
 * protocol and TLS mode (so `host:25` -> `host:25*` keeps the socket and changes the handler);
 * port 0 ("any free port") is the setting that asked for it.
 */
export function slotKey(spec: ListenerSpec, where: string): string {
  return spec.port === 0 ? `${where} ${spec.spec}` : `${spec.host.toLowerCase()}:${spec.port}`;
}

export class ListenerPool {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly log: Logger) {}

  lease(): Lease {
    return new Lease(this);
  }

  get(key: string): Slot | undefined {
    return this.slots.get(key);
  }

  all(): Slot[] {
    return [...this.slots.values()];
  }

  async bind(key: string, spec: ListenerSpec, where: string): Promise<Slot> {
    const slot: Slot = { key, label: `${where} ${spec.spec}`, server: null as unknown as net.Server, port: 0, handler: null, waiting: [] };
    slot.server = net.createServer((socket) => {
      if (slot.handler) return slot.handler(socket);
      socket.on('error', () => socket.destroy());
      slot.waiting.push(socket);
    });
    await new Promise<void>((resolve, reject) => {
      slot.server.once('error', (err) => reject(listenError(spec, where, err)));
      slot.server.listen(spec.port, spec.host, () => resolve());
    }).catch((err) => {
      slot.server.close();
      throw err;
    });
    slot.server.on('error', (err) => this.log.error({ err, listener: slot.label }, 'listener error'));
    slot.port = (slot.server.address() as AddressInfo).port;
    slot.label = labelOf(spec, where, slot.port);
    this.slots.set(key, slot);
    return slot;
  }

  /**
   * Stops accepting on a socket; connections already accepted are not touched. It does not wait
   * for them: net.Server#close() stops listening at once, but its callback comes only after every
   * accepted connection ended, and ending those (with `* BYE`, `421`, `-ERR`) is their
   * service's close, which runs after this one (IMAP clients got no BYE at shutdown).
   */
  unbind(slot: Slot): Promise<void> {
    if (this.slots.get(slot.key) === slot) this.slots.delete(slot.key);
    for (const s of slot.waiting.splice(0)) s.destroy();
    slot.server.close();
    return Promise.resolve();
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.all().map((s) => this.unbind(s)));
  }
}

export class Lease {
  private readonly taken = new Map<Slot, { handler: Handler; label: string }>();
  private readonly fresh: Slot[] = [];

  constructor(private readonly pool: ListenerPool) {}

  /** The SocketSource the new generation's listeners use. Their close() leaves the socket to the pool. */
  readonly source: SocketSource = async (spec, where, onSocket) => {
    const key = slotKey(spec, where);
    let slot = this.pool.get(key);
    if (slot && this.taken.has(slot)) throw new Error(`${where} ${spec.spec}: EADDRINUSE (the address is listed twice)`);
    if (!slot) {
      slot = await this.pool.bind(key, spec, where);
      this.fresh.push(slot);
    }
    this.taken.set(slot, { handler: onSocket, label: labelOf(spec, where, slot.port) });
    return { port: slot.port, close: async () => undefined };
  };

  /**
   * Hands every socket this generation uses to its handlers and closes the sockets it does not
   * use. Returns the labels of the sockets bound and closed.
   */
  async commit(): Promise<{ bound: string[]; closed: string[] }> {
    for (const [slot, { handler, label }] of this.taken) {
      slot.handler = handler;
      slot.label = label;
      for (const s of slot.waiting.splice(0)) handler(s);
    }
    const unused = this.pool.all().filter((s) => !this.taken.has(s));
    await Promise.all(unused.map((s) => this.pool.unbind(s)));
    return { bound: this.fresh.map((s) => s.label), closed: unused.map((s) => s.label) };
  }

  /** Closes what this lease bound; the sockets of the serving generation stay as they were. */
  async abort(): Promise<void> {
    await Promise.all(this.fresh.splice(0).map((s) => this.pool.unbind(s)));
  }
}
