/** Parses the seed-style listener spec `host:port[*]` (a trailing * = implicit TLS). */
export interface ListenerSpec {
  host: string;
  port: number;
  implicitTls: boolean;
  /** The spec as written, for logs and errors. */
  spec: string;
}

export function parseListener(spec: string): ListenerSpec {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):([0-9]{1,5})(\*?)$/.exec(spec);
  if (!m) throw new Error(`listener "${spec}": expected host:port or [v6]:port, with an optional trailing *`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`listener "${spec}": port ${port} out of range`);
  return { host: m[1] ?? m[2], port, implicitTls: m[4] === '*', spec };
}
