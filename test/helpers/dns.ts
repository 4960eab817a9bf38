/**
 * A real DNS server for delivery tests: dnsmasq (Debian's dnsmasq-base) on a loopback UDP/TCP
 * port, authoritative for `.test` (unknown names there are NXDOMAIN, names without the asked
 * type NODATA), serving MX, A and TXT records given on its command line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as dns } from 'node:dns';

export interface DnsRecords {
  /** [domain, exchange ("." for a null MX), preference] */
  mx?: [string, string, number][];
  /** [name, IPv4 address] */
  hosts?: [string, string][];
  /** [name, text] (long texts are split in 255-byte strings; no commas) */
  txt?: [string, string][];
}

export interface TestDns {
  /** `127.0.0.1:PORT`, for delivery.dnsServers. */
  server: string;
  port: number;
  close(): Promise<void>;
}

function args(port: number, r: DnsRecords): string[] {
  const out = ['-k', '-C', '/dev/null', '--no-resolv', '--no-hosts', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces',
    '--user=root', '--pid-file=', '--local=/test/', '--log-facility=/dev/null', '--host-record=dns-ready.test,127.0.0.9'];
  for (const [domain, host, pref] of r.mx ?? []) out.push(`--mx-host=${domain},${host},${pref}`);
  for (const [name, ip] of r.hosts ?? []) out.push(`--host-record=${name},${ip}`);
  for (const [name, text] of r.txt ?? []) out.push(`--txt-record=${name},${(text.match(/.{1,255}/g) ?? ['']).join(',')}`);
  return out;
}

export async function startDns(records: DnsRecords): Promise<TestDns> {
  for (let tries = 0; tries < 10; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const child: ChildProcess = spawn('/usr/sbin/dnsmasq', args(port, records), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const resolver = new dns.Resolver({ timeout: 300, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    for (let i = 0; i < 40 && child.exitCode === null; i++) {
      if ((await resolver.resolve4('dns-ready.test').catch(() => [])).length) {
        return {
          server: `127.0.0.1:${port}`,
          port,
          async close() {
            if (child.exitCode === null) child.kill('SIGTERM');
            await exited;
          },
        };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    if (!/address in use/i.test(err) && tries > 2) throw new Error(`dnsmasq did not start: ${err}`);
  }
  throw new Error('dnsmasq: no free port');
}
