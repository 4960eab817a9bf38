/**
 * The kill -9 failover scenario shared by test/cluster-failover-pg.test.ts and
 * test/cluster-failover-peers.test.ts (one file each, so they run in parallel).
 */
import type { Test } from 'tap';
import { createNetLab, watchVip } from './netns.ts';
import { GREETING, MID_SESSION, PYTHON, VIP, makeNodes, sleep } from './cluster.ts';

export async function killHolderScenario(t: Test, leadership: 'postgres' | 'peers', releaseCycle: number, url?: string) {
  const lab = await createNetLab(2);
  t.teardown(() => lab.destroy());
  const [n1, n2] = await makeNodes(t, lab, (i) => ({ leadership, postgresUrl: url, role: i === 0 ? 'master' : 'slave', releaseCycle }));
  const vip = watchVip(lab, VIP);
  t.teardown(() => vip.stop());

  n1.start();
  await n1.waitForLog('ready');
  await vip.waitFor('n1');
  n2.start();
  await n2.waitForLog('ready');
  await sleep(1500);
  t.same(vip.holders(), ['n1'], 'the master keeps the VIP when the slave comes up');

  // RX-9: the real IPs refuse, the VIP serves
  const real = await lab.exec(lab.client, [PYTHON, '-c', GREETING, lab.nodes[1].ip, '25']);
  t.match(real, /^554 /, 'a node\'s real IP refuses SMTP sessions (hiddenIps)');
  const onVip = await lab.exec(lab.client, [PYTHON, '-c', GREETING, VIP, '25']);
  t.match(onVip, /^220 n1\.cluster\.test/, 'the VIP is served by n1');

  // a session open on the holder; the holder dies; the client retries
  const client = lab.spawn(lab.client, [PYTHON, '-c', MID_SESSION, VIP], { stdin: true });
  let out = '';
  client.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  client.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((r) => client.once('exit', (code) => r(code)));
  for (let i = 0; i < 100 && !out.includes('OPEN'); i++) await sleep(100);
  t.match(out, /OPEN n1\.cluster\.test/, 'the client\'s session is on n1');
  const killedAt = Date.now();
  await n1.kill9();
  client.stdin!.write('go\n');
  t.equal(await exited, 0, `the client's retry succeeded:\n${out}`);
  const m = /RETRY-OK ([0-9.]+) (\S+)/.exec(out);
  t.ok(m, 'the retry was accepted');
  t.equal(m?.[2], 'n2.cluster.test', 'the retry was served by n2');
  t.ok(Number(m?.[1]) < 10, `the retry succeeded ${m?.[1]} s after the holder died (limit 10 s)`);
  t.match(out, /FIRST-FAILED/, 'the message in flight on the dead holder got no 250 (the client knows to retry)');
  t.same(vip.holders(), ['n2'], 'n2 holds the VIP');
  t.comment(`failover (${leadership}): VIP on n2 ${Date.now() - killedAt} ms after the kill; retry accepted after ${m?.[1]} s`);

  n1.start();
  await n1.waitForLog('ready');
  if (releaseCycle === 0) {
    // the master comes back: with the release cycle off the slave keeps the VIP
    await sleep(1500);
    t.same(vip.holders(), ['n2'], 'a returning master does not take the VIP from a live slave (release cycle off)');
  } else {
    // seed Balance=1: the slave gives the VIP back after releaseCycle intervals, the master takes it
    const ms = await vip.waitFor('n1', 15_000);
    t.pass(`the slave gave the VIP back to the returning master (release cycle ${releaseCycle} intervals; ${ms} ms)`);
    const greeting = await lab.exec(lab.client, [PYTHON, '-c', GREETING, VIP, '25']);
    t.match(greeting, /^220 n1\.cluster\.test/, 'the VIP is served by n1 again');
  }
  t.equal(vip.maxHolders, 1, 'never more than one node carried the VIP (no split brain)');
}
