import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KEY_FILE, UnsubscribeTokens } from './unsubscribe-token.ts';

const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'unsub-token-'));
const target = { list: 'test@example.test', domain: 'example.test', member: 'Bob.Smith+x@remote.test', subscription: 42 };
const issued = new Date('2026-11-30T12:00:00Z');

t.test('a token names its list and member and verifies; the key is made 0600 on first use', async (t) => {
  const d = dir();
  const tokens = new UnsubscribeTokens(d);
  t.notOk(fs.existsSync(path.join(d, KEY_FILE)), 'no key before first use');
  const token = tokens.issue(target, issued);
  t.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/, 'URL-safe without escaping');
  t.same(tokens.verify(token), { ...target, issued }, 'names the subscription and when it was made');
  t.equal(fs.statSync(path.join(d, KEY_FILE)).mode & 0o777, 0o600);
  t.same(new UnsubscribeTokens(d).verify(token), { ...target, issued }, 'another instance on the same data directory agrees');
});

t.test('forged, damaged and foreign tokens are refused', async (t) => {
  const tokens = new UnsubscribeTokens(dir());
  const token = tokens.issue(target);
  const [payload, mac] = token.split('.');
  const other = Buffer.from('test@example.test\nexample.test\nalice@remote.test\n42\n1800000000').toString('base64url');
  for (const bad of [`${other}.${mac}`, `${payload}.${mac.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}`, payload, '', `${payload}.${mac}x`, '../../etc/passwd']) {
    t.equal(tokens.verify(bad), null, JSON.stringify(bad));
  }
  t.equal(new UnsubscribeTokens(dir()).verify(token), null, 'a token of another appliance (another key) is refused');
  // a well-formed mac over a payload without its five fields is refused too
  const two = Buffer.from('a\nb').toString('base64url');
  const forgedShape = tokens.issue({ list: 'a', domain: 'b', member: 'c', subscription: 1 }).replace(/^[^.]+/, two);
  t.equal(tokens.verify(forgedShape), null);
});

t.test('a damaged key file is a clear error naming the file', async (t) => {
  const d = dir();
  fs.writeFileSync(path.join(d, KEY_FILE), 'not a key\n');
  t.throws(() => new UnsubscribeTokens(d).issue(target), new RegExp(`${KEY_FILE}: expected 64 hex digits`));
});
