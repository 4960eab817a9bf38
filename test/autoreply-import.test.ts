/**
 * The IMS.CTL importer end to end: the seed's two examples (vacation notice, moved notice) as
 * mailbox folders with JIS text files, through `mailserver autoreply import`, into a running
 * appliance, and the replies read back with mailparser. Also `autoreply replied` / `forget`.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import Encoding from 'encoding-japanese';
import { simpleParser } from 'mailparser';
import { runCli, tempDir } from './helpers/cli.ts';
import { startTestAppliance, seedAccounts, inbox, tempDir as dataDir } from './helpers/appliance.ts';
import { commonPort, startPeer, submit, waitFor } from './helpers/sink.ts';

const jis = (s: string) => Buffer.from(Encoding.convert(Encoding.stringToCode(s), { to: 'JIS', from: 'UNICODE' }));
const VACATION = 'メールを頂き有り難う御座います。\r\n現在、8月5日まで休暇のため、このメールは現在、自動応答としています。\r\n';
const MOVED = '鈴木さんは組織 ABCから移動し、移動先アドレスは"suzuki@bcd.co.jp"となりました。\r\n"suzuki@abc.co.jp"へはメールを送らない様お願いいたします。\r\n';

function folder(root: string, name: string, files: Record<string, string | Buffer>): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  for (const [f, c] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), c);
  return dir;
}

/** The printed lines as an object of accounts. */
function settingsOf(stdout: string): Record<string, unknown> {
  const body = stdout.split('\n').filter((l) => !l.startsWith('//')).join('\n').trim().replace(/,$/, '');
  return JSON.parse(`{${body}}`) as Record<string, unknown>;
}

t.test('the seed\'s two examples, imported and answering mail', async (t) => {
  const root = tempDir(t);
  const vac = folder(root, 'suzuki', {
    'IMS.CTL': '[AutoReply]\r\nRecordReplies=Yes\r\nSubject=It is during vacation\r\n',
    'AUTORPLY.TXT': jis(VACATION), 'NOREPLY.TXT': 'abc@xxx.co.jp\r\n', 'replied.txt': 'old@friend.test\r\n',
  });
  const moved = folder(root, 'moved', {
    'ims.ctl': '[AutoReply]\r\nReplyFrom=Postmaster@abc.co.jp\r\nEchoMessage=Yes\r\nSubject=It moved\r\n[Delivery]\r\nDiscard=Yes\r\n',
    'Autorply.txt': jis(MOVED), 'NOREPLY.TXT': 'def@ghi.co.jp\r\n',
  });
  const fwd = folder(root, 'fwd', { 'IMS.CTL': '[AutoForward]\r\nForwardTo = file:c:\\forward\\address.txt\r\n[Delivery]\r\nDiscard = Yes\r\n', 'address.txt': 'xxx1@remote.test\r\nxxx2@remote.test\r\n' });

  const a = await runCli(['autoreply', 'import', vac, '--account', 'vac@example.test']);
  t.equal(a.code, 0, a.stderr);
  t.match(a.stderr, /REPLIED\.TXT not recorded \(.*\); its addresses: old@friend\.test/, 'no data directory yet: the addresses are shown');
  const b = await runCli(['autoreply', 'import', moved, '--account', 'moved@example.test']);
  t.equal(b.code, 0, b.stderr);
  const c = await runCli(['autoreply', 'import', fwd, '--account', 'fwd@example.test']);
  t.equal(c.code, 0, c.stderr);
  const accounts = { ...settingsOf(a.stdout), ...settingsOf(b.stdout), ...settingsOf(c.stdout) };
  t.match(accounts, {
    'vac@example.test': { keep: true, reply: { subject: 'It is during vacation', recordReplies: true, noReply: ['abc@xxx.co.jp'] } },
    'moved@example.test': { keep: false, reply: { from: 'Postmaster@abc.co.jp', echo: 'with-headers', subject: 'It moved' } },
    'fwd@example.test': { keep: false, forward: { to: ['xxx1@remote.test', 'xxx2@remote.test'] } },
  });
  const missing = await runCli(['autoreply', 'import', root, '--account', 'x@example.test']);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /no IMS\.CTL/);

  const port = await commonPort(['127.0.0.43']);
  const peer = await startPeer('127.0.0.43', port);
  t.teardown(() => peer.close());
  const data = dataDir();
  const app = await startTestAppliance({
    delivery: { pollMs: 100, gateway: `127.0.0.43:${port}` },
    plugins: [{ name: 'autoreply', options: { accounts } }],
  }, data);
  t.teardown(() => app.close());
  await seedAccounts(app, 'example.test', ['vac', 'moved', 'fwd']);
  const rec = await runCli(['autoreply', 'import', vac, '--account', 'vac@example.test', '--data', data]);
  t.match(rec.stderr, /recorded 1 replied address from REPLIED\.TXT for vac@example\.test/);
  t.match((await runCli(['autoreply', 'replied', 'vac@example.test', '--data', data])).stdout, /old@friend\.test/, 'REPLIED.TXT is in the store');

  await submit(app.smtpPort, { from: 'customer@remote.test', to: ['vac@example.test', 'moved@example.test', 'fwd@example.test'], subject: 'hello' });
  const replies = await waitFor('two replies and the forward', () => {
    const r = peer.messages.filter((m) => m.to.includes('customer@remote.test'));
    return r.length === 2 && peer.messages.some((m) => m.to.includes('xxx1@remote.test')) ? r : null;
  });
  const parsed = await Promise.all(replies.map((m) => simpleParser(m.content)));
  const v = parsed.find((p) => p.subject === 'It is during vacation');
  const m = parsed.find((p) => p.subject === 'It moved');
  t.equal(v?.text, VACATION.replace(/\r\n/g, '\n'), 'the JIS file reads back as the same Japanese');
  t.equal(m?.from?.value[0].address, 'Postmaster@abc.co.jp');
  t.match(m?.text, '鈴木さんは組織 ABCから移動し');
  t.equal((await inbox(app, 'vac@example.test')).length, 1);
  t.equal((await inbox(app, 'moved@example.test')).length, 0, 'Discard=Yes');
  t.equal((await inbox(app, 'fwd@example.test')).length, 0, 'Discard=Yes');

  const listed = await runCli(['autoreply', 'replied', 'vac@example.test', '--data', data]);
  t.equal(listed.code, 0, listed.stderr);
  t.match(listed.stdout, /customer@remote\.test\s+\S+\s+1\s+yes\s+no/);
  const forgot = await runCli(['autoreply', 'forget', 'vac@example.test', 'customer@remote.test', '--data', data]);
  t.match(forgot.stdout, /forgot 1 address\b/);
  const left = (await runCli(['autoreply', 'replied', 'vac@example.test', '--data', data])).stdout;
  t.notMatch(left, /customer@remote\.test/, 'forgotten');
  t.match(left, /old@friend\.test/, 'the imported REPLIED.TXT address stays');
});
