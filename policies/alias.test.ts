import t from 'tap';
import { expandAliases, parseAliasRule, parseAliasTarget, resolveAlias, validateAlias, type AliasRule } from './alias.ts';
import { UsageError } from '../core/errors.ts';

const rule = (alias: string, target: string): AliasRule => parseAliasRule(alias, target);
const none = () => false;

t.test('parseAliasTarget reads the ,1 / ,0 suffix', async (t) => {
  t.strictSame(parseAliasTarget('abc-info@abc.co.jp'), { target: 'abc-info@abc.co.jp', rewrite: null });
  t.strictSame(parseAliasTarget('def-info@def.co.jp,1'), { target: 'def-info@def.co.jp', rewrite: true });
  t.strictSame(parseAliasTarget(' info@abc.co.jp , 0 '), { target: 'info@abc.co.jp', rewrite: false });
  for (const bad of ['a@b.jp,2', 'a@b.jp,', 'a@b.jp,yes']) {
    t.throws(() => parseAliasTarget(bad), UsageError, bad);
  }
});

t.test('seed examples of the manual (エイリアス設定)', async (t) => {
  const rules = [
    rule('info@abc.co.jp', 'abc-info@abc.co.jp'),
    rule('info@def.co.jp', 'def-info@def.co.jp'),
    rule('*@abc.co.jp', 'abc-postmaster@abc.co.jp'),
  ];
  t.strictSame(resolveAlias(rules, 'info@abc.co.jp'), {
    address: 'abc-info@abc.co.jp', envelopeRecipient: 'info@abc.co.jp', rule: rules[0],
  }, 'same domain, no suffix: the recipient is kept');
  t.equal(resolveAlias(rules, 'info@def.co.jp')?.address, 'def-info@def.co.jp');
  t.strictSame(resolveAlias(rules, 'anyone@abc.co.jp'), {
    address: 'abc-postmaster@abc.co.jp', envelopeRecipient: 'anyone@abc.co.jp', rule: rules[2],
  }, 'the wildcard catches the rest of the domain');
  t.equal(resolveAlias(rules, 'info@abc.co.jp')?.rule, rules[0], 'the exact alias wins over the wildcard');
  t.equal(resolveAlias(rules, 'anyone@def.co.jp'), null);
  t.equal(resolveAlias(rules, 'INFO@ABC.co.jp')?.address, 'abc-info@abc.co.jp', 'case-insensitive');
  t.equal(resolveAlias(rules, 'info'), null);
  t.equal(resolveAlias(rules, ''), null);
});

t.test('rewrite suffix examples 1-3 and the default across domains', async (t) => {
  const ex1 = [rule('info@def.co.jp', 'def-info@def.co.jp,1')];
  t.equal(resolveAlias(ex1, 'info@def.co.jp')?.envelopeRecipient, 'def-info@def.co.jp', 'example 1: ,1 rewrites');
  const ex2 = [rule('info@def.co.jp', 'info@abc.co.jp,1')];
  t.strictSame(resolveAlias(ex2, 'info@def.co.jp'), {
    address: 'info@abc.co.jp', envelopeRecipient: 'info@abc.co.jp', rule: ex2[0],
  }, 'example 2: ,1 to another domain');
  const ex3 = [rule('info@def.co.jp', 'info@abc.co.jp,0')];
  t.strictSame(resolveAlias(ex3, 'info@def.co.jp'), {
    address: 'info@abc.co.jp', envelopeRecipient: 'info@def.co.jp', rule: ex3[0],
  }, 'example 3: ,0 keeps the alias');
  const cross = [rule('info@def.co.jp', 'info@abc.co.jp')];
  t.equal(resolveAlias(cross, 'info@def.co.jp')?.envelopeRecipient, 'info@abc.co.jp', 'default: other domain rewrites');
  const same0 = [rule('info@abc.co.jp', 'abc-info@abc.co.jp,0')];
  t.equal(resolveAlias(same0, 'info@abc.co.jp')?.envelopeRecipient, 'info@abc.co.jp');
  const same1 = [rule('info@abc.co.jp', 'abc-info@ABC.CO.JP')];
  t.equal(resolveAlias(same1, 'info@abc.co.jp')?.envelopeRecipient, 'info@abc.co.jp', 'domains compare case-insensitively');
});

t.test('wildcard to wildcard keeps the account part (*@def.co.jp → *@abc.co.jp,1)', async (t) => {
  const rules = [rule('*@def.co.jp', '*@abc.co.jp,1')];
  t.strictSame(resolveAlias(rules, 'Suzuki@DEF.co.jp'), {
    address: 'Suzuki@abc.co.jp', envelopeRecipient: 'Suzuki@abc.co.jp', rule: rules[0],
  });
  const keep = [rule('*@def.co.jp', '*@abc.co.jp,0')];
  t.equal(resolveAlias(keep, 'x@def.co.jp')?.envelopeRecipient, 'x@def.co.jp');
});

t.test('invalid forms of the manual and other refused rules', async (t) => {
  const bad: [string, string, RegExp][] = [
    ['info', 'abc-info', /alias "info" must be account@domain.*target "abc-info" must be account@domain/],
    ['info', 'abc-info@abc.co.jp', /alias "info" must be account@domain/],
    ['info@abc.co.jp', 'abc-info', /target "abc-info" must be account@domain/],
    ['@abc.co.jp', 'x@abc.co.jp', /alias "@abc.co.jp" must be account@domain/],
    ['info@', 'x@abc.co.jp', /must be account@domain/],
    ['in*fo@abc.co.jp', 'x@abc.co.jp', /"\*" is only allowed as the whole account part/],
    ['*x@abc.co.jp', 'x@abc.co.jp', /"\*" is only allowed/],
    ['*@*.co.jp', 'x@abc.co.jp', /account part only, not the domain/],
    ['info@abc.co.jp', '*@def.co.jp', /single address cannot map to a wildcard target/],
    ['info@abc.co.jp', 'INFO@abc.co.jp', /maps to itself/],
    ['*@abc.co.jp', '*@abc.co.jp', /maps to itself/],
    ['in fo@abc.co.jp', 'x@abc.co.jp', /invalid account part/],
    ['info@abc..co.jp', 'x@abc.co.jp', /invalid domain/],
  ];
  for (const [alias, target, message] of bad) {
    t.throws(() => validateAlias(alias, target), { name: 'UsageError', message }, `${alias} → ${target}`);
  }
  t.doesNotThrow(() => validateAlias('info@abc.co.jp', 'abc-info@abc.co.jp'), 'the manual\'s valid form');
  t.doesNotThrow(() => validateAlias('*@abc.co.jp', 'abc-postmaster@abc.co.jp'));
  t.doesNotThrow(() => validateAlias('*@def.co.jp', '*@abc.co.jp'));
  t.doesNotThrow(() => validateAlias('info@abc.co.jp', 'someone@example.com'), 'external targets are forwarded');
  t.throws(() => parseAliasRule('info', 'abc-info@abc.co.jp,1'), UsageError);
  t.strictSame(parseAliasRule(' *@def.co.jp ', '*@abc.co.jp,1'), { alias: '*@def.co.jp', target: '*@abc.co.jp', rewrite: true });
});

t.test('expandAliases follows chains and composes the envelope recipient', async (t) => {
  const rules = [
    rule('*@def.co.jp', '*@abc.co.jp,1'),
    rule('sales@abc.co.jp', 'team@abc.co.jp'),
    rule('team@abc.co.jp', 'boss@example.com,0'),
    rule('*@abc.co.jp', 'abc-postmaster@abc.co.jp'),
  ];
  const accounts = new Set(['taro@abc.co.jp', 'abc-postmaster@abc.co.jp']);
  const hasMailbox = (a: string) => accounts.has(a.toLowerCase());

  t.strictSame(expandAliases(rules, 'sales@def.co.jp', hasMailbox), {
    address: 'boss@example.com',
    envelopeRecipient: 'sales@abc.co.jp',
    rules: [rules[0], rules[1], rules[2]],
    path: ['sales@def.co.jp', 'sales@abc.co.jp', 'team@abc.co.jp', 'boss@example.com'],
  }, 'rewritten by ,1 at the first step, then kept by the next two');

  const taro = expandAliases(rules, 'Taro@def.co.jp', hasMailbox);
  t.equal(taro.address, 'Taro@abc.co.jp', 'an account is not swallowed by the catch-all');
  t.equal(taro.rules.length, 1);

  const nobody = expandAliases(rules, 'nobody@def.co.jp', hasMailbox);
  t.equal(nobody.address, 'abc-postmaster@abc.co.jp');
  t.equal(nobody.envelopeRecipient, 'nobody@abc.co.jp', 'the catch-all in the same domain keeps the rewritten recipient');

  t.strictSame(expandAliases(rules, 'taro@abc.co.jp', hasMailbox), {
    address: 'taro@abc.co.jp', envelopeRecipient: 'taro@abc.co.jp', rules: [], path: ['taro@abc.co.jp'],
  }, 'no alias: the recipient itself');
  t.equal(expandAliases(rules, 'taro@abc.co.jp', none).address, 'abc-postmaster@abc.co.jp', 'Postfix-style catch-all');
  t.equal(expandAliases(rules, 'x@example.com', none).rules.length, 0, 'external addresses are left alone');

  const exact = [rule('taro@abc.co.jp', 'hanako@abc.co.jp')];
  t.equal(expandAliases(exact, 'taro@abc.co.jp', () => true).address, 'hanako@abc.co.jp', 'an exact alias applies even over a mailbox');
});

t.test('expandAliases detects loops and over-long chains', async (t) => {
  const loop = [rule('a@abc.co.jp', 'b@abc.co.jp'), rule('b@abc.co.jp', 'A@abc.co.jp')];
  t.throws(() => expandAliases(loop, 'a@abc.co.jp', none), {
    name: 'UsageError', message: 'alias loop: a@abc.co.jp -> b@abc.co.jp -> A@abc.co.jp',
  });
  const domains = [rule('*@def.co.jp', '*@abc.co.jp'), rule('*@abc.co.jp', '*@def.co.jp')];
  t.throws(() => expandAliases(domains, 'x@abc.co.jp', none), { message: 'alias loop: x@abc.co.jp -> x@def.co.jp -> x@abc.co.jp' });
  const entry = [rule('z@abc.co.jp', 'a@abc.co.jp'), ...loop];
  t.throws(() => expandAliases(entry, 'z@abc.co.jp', none), { message: 'alias loop: a@abc.co.jp -> b@abc.co.jp -> A@abc.co.jp' },
    'the loop is named from where it closes');

  const chain = Array.from({ length: 12 }, (_, i) => rule(`u${i}@abc.co.jp`, `u${i + 1}@abc.co.jp`));
  t.equal(expandAliases(chain, 'u2@abc.co.jp', none).address, 'u12@abc.co.jp', '10 steps are allowed');
  t.throws(() => expandAliases(chain, 'u0@abc.co.jp', none), { name: 'UsageError', message: /alias chain longer than 10 steps/ });
  t.equal(expandAliases(chain, 'u0@abc.co.jp', none, 12).address, 'u12@abc.co.jp');
});

t.test('an address that maps to itself ends the chain', async (t) => {
  const rules = [rule('*@abc.co.jp', 'abc-postmaster@abc.co.jp')];
  t.strictSame(expandAliases(rules, 'x@abc.co.jp', none), {
    address: 'abc-postmaster@abc.co.jp',
    envelopeRecipient: 'x@abc.co.jp',
    rules: [rules[0]],
    path: ['x@abc.co.jp', 'abc-postmaster@abc.co.jp'],
  });
  t.equal(expandAliases(rules, 'ABC-Postmaster@abc.co.jp', none).rules.length, 0);
});
