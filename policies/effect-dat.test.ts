import t from 'tap';
import { formatEffectDat, parseEffectDat } from './effect-dat.ts';
import { EffectRuleError } from './effect-rules.ts';

/** Every example line of the seed manual (中継の制限 ② 記述例). */
const SEED_EXAMPLES = [
  '10.*.*.*', '192.168.*.*', '192.168.1.*', '192.168.1.0/28', '192.168.1.0/28 false', '192.168.1.0/28 default',
  '*.*.*.* norelay', '192.168.0.* norelay,0', '192.168.0.* norelay,2', '192.168.0.* true',
  'abc.co.jp', 'abc.co.jp false', 'abc@abc.co.jp', 'abc@abc.co.jp false',
  '#blank false', '#<> false', '#number false', '#nodomain false', '#host false', 'abc@abc.co.jp only',
];

t.test('the seed examples round-trip line for line', async (t) => {
  for (const line of SEED_EXAMPLES) {
    const { rules, warnings } = parseEffectDat(line);
    t.equal(rules.length, 1, line);
    t.same(warnings, []);
    t.equal(formatEffectDat(rules), `${line}\r\n`, line);
  }
  const file = "' relay rules\r\n\r\n192.168.1.0/28 default\r\n0.0.0.0 only\r\n";
  const { rules } = parseEffectDat(file);
  t.same(rules, [{ match: '192.168.1.0/28', action: 'default' }, { match: '0.0.0.0', action: 'only' }]);
  t.same(parseEffectDat(formatEffectDat(rules)).rules, rules, 'parse(format(x)) = x');
});

t.test('comments, blank lines, trailing spaces, BOM; actions in any case', async (t) => {
  const { rules } = parseEffectDat("\uFEFF'comment\n   \n10.*.*.* FALSE  \n'192.168.0.* true\n");
  t.same(rules, [{ match: '10.*.*.*', action: 'false' }]);
});

t.test('what the seed would not read is refused, naming the line', async (t) => {
  t.throws(() => parseEffectDat('ok.test\n10.*.*.*\tfalse'), { name: 'EffectRuleError', message: /^line 2: TAB/ });
  t.throws(() => parseEffectDat('10.*.*.*  false'), { message: /^line 1: expected "<pattern>"/ }, 'two spaces');
  t.throws(() => parseEffectDat('10.*.*.* maybe'), { message: /^line 1: unknown action "maybe"/ });
  t.throws(() => parseEffectDat('10.*.*.* true extra'), EffectRuleError);
  t.throws(() => parseEffectDat("'x\n999.1.1.1 false"), { message: /^line 2: "999\.1\.1\.1"/ });
});

t.test('rules after only are dropped with a warning', async (t) => {
  const r = parseEffectDat('10.*.*.* only\n192.168.0.* false\n');
  t.same(r.rules, [{ match: '10.*.*.*', action: 'only' }]);
  t.same(r.warnings, ['line 2: ignored, "only" must be the last rule']);
});
