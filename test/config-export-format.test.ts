/** The data snapshot's text files (pure): sorted, round-trip exact, bad lines named. */
import t from 'tap';
import { formatSnapshot, parseSnapshot, isSnapshotPath, type Snapshot } from '../appliance/config-repo/snapshot/format.ts';

const account = (name: string, extra: Partial<Snapshot['accounts'][number]> = {}) => ({
  name, domain: 'example.test', fullName: '', home: '', quota: 0, smtpAuth: false, apop: false, pop3Disabled: false,
  imapDisabled: false, sharedPath: '', sharedWrite: false, passwordHash: `$scrypt$N=16384,r=8,p=1$salt$${name}`, ...extra,
});

const SNAP: Snapshot = {
  domains: [{ name: 'example.test', accountLimit: 5, admin: 'Administrator@example.test', copyErrorsToAdmin: true }],
  accounts: [account('zed', { fullName: 'Tab\there\\back\nline', quota: 1024, apop: true }), account('amy', { fullName: '山田 花子', sharedWrite: true })],
  aliases: [{ alias: '*@example.test', target: 'amy@example.test', rewrite: null }, { alias: 'info@example.test', target: 'zed@example.test', rewrite: false }],
  lists: { 'team@example.test': [{ address: 'z@x.test', name: '' }, { address: 'a@x.test', name: 'A', bounces: 2, disabled: true }] },
  refusedIps: [{ ip: '203.0.113.9', reason: 'mail filter rule "x"', added: new Date('2026-01-02T03:04:05.000Z') }],
  replied: [{ account: 'amy@example.test', address: 'p@q.test', lastReply: new Date('2026-01-01T00:00:00.000Z'), replies: 3, recorded: true, neverAgain: false }],
};

t.test('formatted files are sorted and read back exactly', async (t) => {
  const files = formatSnapshot(SNAP);
  t.match(files['data/accounts.tsv'], /^# accounts[^\n]*\n# address[^\n]*\namy@example\.test\t山田 花子[^\n]*\nzed@example\.test\tTab\\there\\\\back\\nline\t/);
  t.equal(files['data/lists/team@example.test.txt'], '# members of team@example.test\nA <a@x.test>\nz@x.test\n');
  t.match(files['data/list-bounces.tsv'], /^team@example\.test\ta@x\.test\t2\t1$/m);
  t.match(files['data/aliases.tsv'], /^\*@example\.test\tamy@example\.test\ninfo@example\.test\tzed@example\.test,0\n$/m);
  const back = parseSnapshot(files);
  t.same(back.accounts.map((a) => a.name).sort(), ['amy', 'zed']);
  t.same(back.accounts.find((a) => a.name === 'zed'), SNAP.accounts[0]);
  t.same(back.domains, SNAP.domains);
  t.same(back.aliases.sort((a, b) => a.alias.localeCompare(b.alias)), SNAP.aliases);
  t.same(back.lists['team@example.test'].find((m) => m.address === 'a@x.test'), { address: 'a@x.test', name: 'A', bounces: 2, disabled: true });
  t.same(back.refusedIps, SNAP.refusedIps);
  t.same(back.replied, SNAP.replied);
  t.same(formatSnapshot(back), files, 'format(parse(files)) is the same bytes');
  t.ok(isSnapshotPath('data/lists/x.txt'));
  t.notOk(isSnapshotPath('mailserver.config.ts'));
});

t.test('bad lines are named by file and line', async (t) => {
  t.throws(() => parseSnapshot({ 'data/accounts.tsv': '# c\na@b\tonly two\n' }), /data\/accounts\.tsv line 2: expected 11 TAB-separated fields, found 2/);
  const plain = formatSnapshot({ ...SNAP, accounts: [account('x', { passwordHash: 'plaintext' })] })['data/accounts.tsv'];
  t.throws(() => parseSnapshot({ 'data/accounts.tsv': plain }), /line 3: the password field must be a hash/);
  t.throws(() => parseSnapshot({ 'data/refused-ips.txt': '1.2.3.4\tyesterday\tx\n' }), /data\/refused-ips\.txt line 1: expected an ISO date/);
  t.throws(() => parseSnapshot({ 'data/lists/l.txt': 'not an address\n' }), /data\/lists\/l\.txt line 1: "not an address" is not an address/);
  t.throws(() => parseSnapshot({ 'data/list-bounces.tsv': 'l\ta@b.test\t1\t0\n' }), /a@b\.test is not in data\/lists\/l\.txt/);
});
