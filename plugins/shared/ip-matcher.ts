/** IP lists of exempt clients (MF-3, AV-3): single addresses or CIDR ranges, IPv4 and IPv6; shared by mailfilter and antivirus. */
import ipaddr from 'ipaddr.js';

export type IpMatcher = (ip: string) => boolean;

export function ipMatcher(list: string[]): IpMatcher {
  const ranges = list.map((entry) => {
    const e = entry.trim();
    try {
      if (e.includes('/')) return ipaddr.parseCIDR(e);
      const a = ipaddr.parse(e);
      return [a, a.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
    } catch {
      throw new Error(`"${entry}" is not an IP address or CIDR range`);
    }
  });
  if (!ranges.length) return () => false;
  return (ip) => {
    let a: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      a = ipaddr.process(ip);
    } catch {
      return false;
    }
    return ranges.some(([r, bits]) => r.kind() === a.kind() && a.match([r, bits] as never));
  };
}
