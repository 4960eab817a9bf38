/**
 * The ipwatcher's AddressManager against a real kernel: a network namespace of the test's own
 * with a veth interface, `ip` pointed into it by a two-line wrapper. Removing an address that
 * is already gone is quiet on every kernel (whatever `ip addr del` prints for it), adding one
 * that is there already is too, and a removal that really fails still says so.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './helpers/appliance.ts';
import { AddressManager } from '../plugins/ipwatcher/address.ts';
import { silentLogger } from '../core/log.ts';

if (process.getuid?.() !== 0) {
  t.plan(0, 'needs root for a network namespace');
} else {
  const ns = `ms-addr-${crypto.randomBytes(3).toString('hex')}`;
  const dir = tempDir('ipwatcher-addr-');
  execFileSync('ip', ['netns', 'add', ns]);
  t.teardown(() => {
    execFileSync('ip', ['netns', 'del', ns]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  // a veth pair (the dummy driver is not in every kernel); vip0 is the interface under test
  execFileSync('ip', ['-n', ns, 'link', 'add', 'vip0', 'type', 'veth', 'peer', 'name', 'vip1']);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'vip0', 'up']);
  const ipCommand = path.join(dir, 'ip');
  fs.writeFileSync(ipCommand, `#!/bin/sh\nexec ip -n ${ns} "$@"\n`, { mode: 0o755 });
  const vip = { address: '10.78.0.100', cidr: '10.78.0.100/24', iface: 'vip0' };
  const addresses = () => execFileSync('ip', ['-n', ns, '-o', '-4', 'addr', 'show', 'dev', 'vip0'], { encoding: 'utf8' });

  t.test('remove() of an address that is not there is no error', async (t) => {
    const m = new AddressManager(vip, silentLogger, { ip: ipCommand, arping: null });
    t.equal(await m.present(), false);
    await t.resolves(m.remove(), 'no error although `ip addr del` would fail');
  });

  t.test('add() twice, then remove() once: the address comes and goes', async (t) => {
    const m = new AddressManager(vip, silentLogger, { ip: ipCommand, arping: null });
    await m.add();
    await t.resolves(m.add(), 'adding an address that is there is holding it');
    t.match(addresses(), /10\.78\.0\.100\/24/);
    await m.remove();
    t.notMatch(addresses(), /10\.78\.0\.100/);
  });

  t.test('a removal that fails while the address stays is an error', async (t) => {
    execFileSync('ip', ['-n', ns, 'addr', 'add', vip.cidr, 'dev', 'vip0']);
    const failing = path.join(dir, 'ip-no-del');
    fs.writeFileSync(failing, `#!/bin/sh\n[ "$1" = addr ] && [ "$2" = del ] && { echo 'RTNETLINK answers: Operation not permitted' >&2; exit 2; }\nexec ip -n ${ns} "$@"\n`, { mode: 0o755 });
    const m = new AddressManager(vip, silentLogger, { ip: failing, arping: null });
    await t.rejects(m.remove(), /ip addr del failed: RTNETLINK answers: Operation not permitted/);
    t.match(addresses(), /10\.78\.0\.100\/24/, 'the address is still there');
    execFileSync('ip', ['-n', ns, 'addr', 'del', vip.cidr, 'dev', 'vip0']);
  });
}
