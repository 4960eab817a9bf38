/**
 * CL-2 failover on a PostgreSQL advisory-lock lease (network namespaces, root only; the nodes
 * reach PostgreSQL over its Unix socket):
 * - the holder is killed with SIGKILL mid-session: the client's retry is accepted by the other
 *   node within 10 s; never two holders;
 * - PostgreSQL restarted under SMTP load: the holder fences (drops the VIP when its lease session
 *   ends), a node takes the VIP again without operator action, and every message that got a 250
 *   is in a node's store.
 */
import t from 'tap';
import { killHolderScenario } from './helpers/cluster-failover.ts';
import { createNetLab, watchVip } from './helpers/netns.ts';
import { LOAD, PYTHON, VIP, makeNodes, sleep, socketUrl, subjectsIn } from './helpers/cluster.ts';
import { startPostgres, type TestPostgres } from './helpers/postgres.ts';

if (process.getuid?.() !== 0) {
  t.plan(0, 'needs root for network namespaces');
} else {
  let pg: TestPostgres;
  t.before(async () => {
    pg = await startPostgres();
  });
  t.teardown(() => pg?.stop());

  t.test('kill -9 of the holder mid-session; release cycle off', async (t) => killHolderScenario(t, 'postgres', 0, await socketUrl(pg)));

  t.test('PostgreSQL restarted under load: fence, recover, nothing accepted is lost', async (t) => {
    const url = await socketUrl(pg);
    const lab = await createNetLab(2);
    t.teardown(() => lab.destroy());
    const nodes = await makeNodes(t, lab, (i) => ({ leadership: 'postgres', postgresUrl: url, role: i === 0 ? 'master' : 'slave', releaseCycle: 0 }));
    const vip = watchVip(lab, VIP);
    t.teardown(() => vip.stop());
    // the master first: a slave that finds the lease free for two intervals takes it itself
    nodes[0].start();
    await nodes[0].waitForLog('ready');
    await vip.waitFor('n1');
    nodes[1].start();
    await nodes[1].waitForLog('ready');

    const client = lab.spawn(lab.client, [PYTHON, '-c', LOAD, VIP, '9']);
    let out = '';
    client.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    client.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => client.once('exit', (code) => r(code)));
    await sleep(2000);
    const restartAt = Date.now();
    await pg.restart();
    const restartMs = Date.now() - restartAt;
    // the holder's lease session ended with the server: it must have dropped the VIP
    for (let i = 0; i < 50 && !nodes[0].logs().some((l) => l.msg === 'ipwatcher: this node gave up the virtual IP'); i++) await sleep(100);
    const fenced = nodes[0].logs().find((l) => l.msg === 'ipwatcher: this node gave up the virtual IP');
    const heldAgainMs = await waitHeld(vip, 15_000);
    t.equal(await exited, 0, 'the load client ran to the end');
    t.ok(fenced, `the holder dropped the VIP when its lease session ended (fencing: ${String(fenced?.why)})`);
    t.pass(`a node holds the VIP again without operator action (PostgreSQL restart took ${restartMs} ms; VIP back ${heldAgainMs} ms later)`);
    const ok = [...out.matchAll(/^OK (\S+)/gm)].map((m) => m[1]);
    const failed = [...out.matchAll(/^FAIL (\S+)/gm)].map((m) => m[1]);
    t.ok(ok.length > 10, `messages accepted under load (${ok.length} accepted, ${failed.length} refused or cut off while the VIP moved)`);
    for (const n of nodes) await n.stop();
    const stored = new Set([...(await subjectsIn(nodes[0].dataDir)), ...(await subjectsIn(nodes[1].dataDir))]);
    const lost = ok.filter((s) => !stored.has(s));
    t.same(lost, [], 'every message that got a 250 is in a node\'s store');
    t.equal(vip.maxHolders, 1, 'never more than one node carried the VIP');
    t.comment(`pg restart: ${ok.length} accepted, ${failed.length} failed, restart ${restartMs} ms`);
  });
}

async function waitHeld(vip: ReturnType<typeof watchVip>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (vip.holders().length !== 1) {
    if (Date.now() - start > timeoutMs) throw new Error('no node holds the VIP again');
    await sleep(50);
  }
  return Date.now() - start;
}
