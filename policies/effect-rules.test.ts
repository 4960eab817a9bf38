import t from 'tap';
import {
  compilePattern, compileRules, decideRecipient, decideSender, exemptFromAuth, firstMatch, parsePeer,
  EffectRuleError, type EffectRule, type AddressClass,
} from './effect-rules.ts';
import { CLASSES, ELSEWHERE_IP, INSIDE_IP, SEED_MATRICES, secureVariant } from './effect-matrices.ts';

const SENDER: Record<AddressClass, string> = {
  local: 'alice@example.test', 'local-unknown': 'ghost@example.test', external: 'someone@remote.test',
};

function verdict(rules: EffectRule[], ip: string, s: AddressClass, r: AddressClass, opts: { seed?: boolean; auth?: boolean; granted?: boolean } = {}) {
  const policy = { compiled: compileRules(rules), localSenderRelay: opts.seed ?? true };
  const facts = { ip, sender: SENDER[s], senderClass: s, recipientClass: r, authenticated: !!opts.auth, relayGranted: !!opts.granted };
  // a `false` rule refuses at MAIL FROM already
  if (decideSender(policy.compiled, ip, SENDER[s])) return 'x';
  return decideRecipient(policy, facts).ok ? 'o' : 'x';
}

for (const m of SEED_MATRICES) {
  const rules: EffectRule[] = m.action ? [{ match: '192.168.0.*', action: m.action }] : [];
  for (const [where, ip, matrix] of [['inside', INSIDE_IP, m.inside], ['elsewhere', ELSEWHERE_IP, m.elsewhere]] as const) {
    t.test(`${m.id}, client ${where}: every cell of the seed's matrix`, async (t) => {
      for (const [i, s] of CLASSES.entries()) {
        for (const [j, r] of CLASSES.entries()) {
          t.equal(verdict(rules, ip, s, r), matrix[i][j], `${s} → ${r}`);
        }
      }
    });
    t.test(`${m.id}, client ${where}: the secure default`, async (t) => {
      const secure = secureVariant(m, where === 'inside');
      for (const [i, s] of CLASSES.entries()) {
        for (const [j, r] of CLASSES.entries()) {
          t.equal(verdict(rules, ip, s, r, { seed: false }), secure[i][j], `${s} → ${r}`);
        }
      }
    });
  }
}

t.test('RL-4 ※1 and RL-7: authenticated sessions, norelay,0 and norelay,2', async (t) => {
  const rule = (action: EffectRule['action']) => [{ match: '192.168.0.*', action }];
  t.equal(verdict(rule('norelay'), INSIDE_IP, 'local', 'external', { auth: true }), 'o', 'norelay: an authenticated session relays (※1)');
  t.equal(verdict(rule('norelay,0'), INSIDE_IP, 'local', 'external', { auth: true }), 'x', 'norelay,0: not even authenticated');
  t.equal(verdict(rule('norelay,0'), INSIDE_IP, 'local', 'local', { auth: true }), 'o', 'norelay,0 still delivers locally');
  t.equal(verdict(rule('norelay,2'), INSIDE_IP, 'local', 'external', { seed: false }), 'o', 'norelay,2: accepted ahead of AUTH');
  t.equal(verdict(rule('norelay,2'), INSIDE_IP, 'external', 'external'), 'x', 'norelay,2 does not make an open relay');
  t.equal(verdict([], ELSEWHERE_IP, 'external', 'external', { auth: true, seed: false }), 'o', 'RL-7 without rules');
  t.equal(verdict(rule('only'), ELSEWHERE_IP, 'external', 'external', { auth: true }), 'o', 'RL-7 from outside an only list');
  t.equal(verdict(rule('false'), INSIDE_IP, 'local', 'local', { auth: true }), 'x', 'false refuses even authenticated sessions');
  t.equal(verdict([], ELSEWHERE_IP, 'local', 'local-unknown', { auth: true }), 'x', 'no account is no account');
  t.ok(exemptFromAuth(compileRules(rule('norelay,2')), INSIDE_IP, ''));
  t.notOk(exemptFromAuth(compileRules(rule('norelay')), INSIDE_IP, ''));
});

t.test('RL-6: sender-envelope rules and # tokens match MAIL FROM, never the network', async (t) => {
  const c = (rules: EffectRule[]) => compileRules(rules);
  t.equal(verdict([{ match: 'remote.test' }], ELSEWHERE_IP, 'external', 'external', { seed: false }), 'o', 'domain true: relays (the seed warns)');
  t.equal(verdict([{ match: 'remote.test', action: 'false' }], ELSEWHERE_IP, 'external', 'local'), 'x', 'domain false');
  t.equal(verdict([{ match: 'Someone@Remote.test', action: 'false' }], ELSEWHERE_IP, 'external', 'local'), 'x', 'address false, any case');
  t.equal(verdict([{ match: 'other@remote.test', action: 'false' }], ELSEWHERE_IP, 'external', 'local'), 'o', 'another address');
  // e) abc@abc.co.jp only: only that sender relays; others only to local accounts
  const only: EffectRule[] = [{ match: 'alice@example.test', action: 'only' }];
  t.equal(verdict(only, ELSEWHERE_IP, 'local', 'external', { seed: false }), 'o', 'the listed sender relays');
  const bob = decideRecipient({ compiled: c(only), localSenderRelay: true },
    { ip: ELSEWHERE_IP, sender: 'bob@example.test', senderClass: 'local', recipientClass: 'external', authenticated: false });
  t.same(bob, { ok: false, reason: 'relay-denied' }, 'another local sender does not');
  t.notOk(firstMatch(c([{ match: 'example.test' }]), ELSEWHERE_IP, 'x@sub.example.test'), 'a domain is exact, not its subdomains');
  const tokens: [string, string, boolean][] = [
    ['#<>', '', true], ['#blank', '', true], ['#<>', 'a@b.test', false],
    ['#number', 'a@[192.0.2.1]', true], ['#number', 'a@192.0.2.1', true], ['#number', 'a@[IPv6:2001:db8::1]', true], ['#number', 'a@b.test', false],
    ['#nodomain', 'postmaster', true], ['#nodomain', 'a@b.test', false], ['#nodomain', '', false],
    ['#host', 'a@localhost', true], ['#host', 'a@b.test', false], ['#host', 'a@[192.0.2.1]', false], ['#host', '', false],
  ];
  for (const [token, sender, hit] of tokens) {
    t.equal(!!firstMatch(c([{ match: token, action: 'false' }]), ELSEWHERE_IP, sender), hit, `${token} vs <${sender}>`);
  }
  t.equal(verdict([{ match: '#<>', action: 'false' }], ELSEWHERE_IP, 'external', 'local'), 'o', '#<> does not touch a real sender');
});

t.test('relaying granted by a plugin (a Haraka connection.relaying) counts as `true`, unless a rule names the client with false or norelay', async (t) => {
  const TRUE = SEED_MATRICES.find((m) => m.action === 'true')!.inside;
  for (const m of SEED_MATRICES) {
    const rules: EffectRule[] = m.action ? [{ match: '192.168.0.*', action: m.action }] : [];
    for (const [where, ip, seed] of [['inside', INSIDE_IP, m.inside], ['elsewhere', ELSEWHERE_IP, m.elsewhere]] as const) {
      const named = where === 'inside' ? m.action : undefined;
      // the explicit refusal keeps the seed's cells; anything else is RL-2's matrix
      const expected = named === 'false' || named?.startsWith('norelay') ? seed : TRUE;
      for (const secure of [false, true]) {
        const got = CLASSES.map((s) => CLASSES.map((r) => verdict(rules, ip, s, r, { granted: true, seed: !secure })));
        t.same(got, expected, `${m.id}, client ${where}${secure ? ', secure default' : ''}`);
      }
    }
  }
  for (const action of ['norelay,0', 'norelay,2'] as const) {
    t.equal(verdict([{ match: '192.168.0.*', action }], INSIDE_IP, 'external', 'external', { granted: true }), 'x', `${action}: no relaying`);
    t.equal(verdict([{ match: '192.168.0.*', action }], INSIDE_IP, 'external', 'local', { granted: true }), 'o', `${action}: local delivery`);
  }
  t.equal(verdict([{ match: 'remote.test', action: 'norelay' }], ELSEWHERE_IP, 'external', 'external', { granted: true }), 'x',
    'a sender rule with norelay refuses too');
  t.equal(verdict([{ match: '192.168.0.*', action: 'norelay,0' }], INSIDE_IP, 'local', 'external', { granted: true, auth: true }), 'x',
    'an authenticated session stays RL-7 (norelay,0)');
});

t.test('first match wins; only is valid only last (manual ② f, g)', async (t) => {
  const f = compileRules([{ match: '192.168.1.0/28', action: 'default' }, { match: '0.0.0.0', action: 'only' }]);
  const pol = { compiled: f, localSenderRelay: false };
  const facts = (ip: string, s: AddressClass, r: AddressClass) => ({ ip, sender: SENDER[s], senderClass: s, recipientClass: r, authenticated: false });
  t.ok(decideRecipient(pol, facts('192.168.1.15', 'local', 'external')).ok, 'f) the /28 relays for local senders');
  t.notOk(decideRecipient(pol, facts('192.168.1.16', 'local', 'external')).ok, 'f) .16 is outside the /28');
  t.ok(decideRecipient(pol, facts('192.168.1.16', 'external', 'local')).ok, 'f) outsiders still deliver to local accounts');
  t.notOk(decideRecipient(pol, facts('192.168.1.16', 'local', 'local')).ok, 'f) a local sender from outside is refused');
  const g = { compiled: compileRules([{ match: '192.168.1.0/28', action: 'default' }, { match: '*.*.*.*', action: 'norelay' }]), localSenderRelay: true };
  t.ok(decideRecipient(g, facts('192.168.1.3', 'local', 'external')).ok, 'g) the /28 relays');
  t.notOk(decideRecipient(g, facts('10.0.0.1', 'local', 'external')).ok, 'g) everyone else: norelay');
  t.ok(decideRecipient(g, facts('10.0.0.1', 'external', 'local')).ok, 'g) everyone else still delivers locally');
  const after = compileRules([{ match: '10.*.*.*', action: 'only' }, { match: '192.168.0.*', action: 'false' }]);
  t.same(after.ignored, [1], 'a rule after only is ignored');
  t.notOk(decideSender(after, '192.168.0.1', 'a@b.test'), 'and has no effect');
});

t.test('patterns: wildcards, CIDR, exact IPs, IPv6 and mapped addresses', async (t) => {
  const hits = (pattern: string, ip: string) => {
    const m = compilePattern(pattern);
    return m.kind === 'ip' && m.test(parsePeer(ip)!);
  };
  t.ok(hits('10.*.*.*', '10.200.3.4'));
  t.notOk(hits('10.*.*.*', '11.0.0.1'));
  t.ok(hits('192.168.＊.＊', '192.168.7.7'), 'full-width asterisks as in the manual');
  t.ok(hits('192.168.1.0/28', '192.168.1.15'));
  t.notOk(hits('192.168.1.0/28', '192.168.1.16'));
  t.ok(hits('127.0.0.2', '::ffff:127.0.0.2'), 'IPv4-mapped peers match IPv4 rules');
  t.ok(hits('2001:db8::/32', '2001:db8::5'));
  t.notOk(hits('*.*.*.*', '2001:db8::5'), '*.*.*.* is IPv4 only');
  t.ok(hits('0.0.0.0', '0.0.0.0'));
  for (const bad of ['300.1.1.1', '10.0.0.0/40', '#bogus', 'not a domain', 'a@', '1.2.3']) {
    t.throws(() => compilePattern(bad), EffectRuleError, bad);
  }
});
