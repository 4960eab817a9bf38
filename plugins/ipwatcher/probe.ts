/**
 * The seed's "ping" of a peer or of the virtual IP: here a TCP connect to its SMTP port, which
 * proves the mail service answers, not just the kernel (and needs no raw socket for ICMP).
 */
import net from 'node:net';

export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** `host`, `host:port` or `[v6]:port`; the port defaults to `port`. */
export function parsePeer(peer: string, port: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(peer) ?? /^([^:]+)(?::(\d+))?$/.exec(peer);
  if (!m) throw new Error(`not a peer address: ${JSON.stringify(peer)} (host or host:port)`);
  return { host: m[1], port: m[2] ? Number(m[2]) : port };
}
