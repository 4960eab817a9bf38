import t from 'tap';
import { formatTag, inRange, parseCommandLine, parseCommands, parseRange, splitMembers, tagSubject } from './list-commands.ts';

t.test('command lines (seed manual examples)', async (t) => {
  const cases: [string, unknown][] = [
    ['JOIN', { verb: 'JOIN', list: undefined, address: undefined }],
    ['join test-ml', { verb: 'JOIN', list: 'test-ml', address: undefined }],
    ['SUBSCRIBE test-ml abc@abc.co.jp', { verb: 'JOIN', list: 'test-ml', address: 'abc@abc.co.jp' }],
    ['LEAVE', { verb: 'LEAVE', list: undefined, address: undefined }],
    ['UNSUBSCRIBE test-ml abc@abc.co.jp', { verb: 'LEAVE', list: 'test-ml', address: 'abc@abc.co.jp' }],
    ['LIST', { verb: 'LIST' }],
    ['HELP', { verb: 'HELP' }],
    ['KEYGEN', { verb: 'KEYGEN' }],
    ['ARTICLE INDEX', { verb: 'ARTICLE', action: 'INDEX', range: { all: true } }],
    ['ARTICLE INDEX ALL', { verb: 'ARTICLE', action: 'INDEX', range: { all: true } }],
    ['ARTICLE LIST 100', { verb: 'ARTICLE', action: 'LIST', range: { all: false, from: 100, to: 100 } }],
    ['article delete 100-200', { verb: 'ARTICLE', action: 'DELETE', range: { all: false, from: 100, to: 200 } }],
    ['CONFIRM 0123456789abcdef01234567', { verb: 'CONFIRM', token: '0123456789abcdef01234567' }],
    ['ARTICLE INDEX 200-100', { verb: 'UNKNOWN', line: 'ARTICLE INDEX 200-100' }],
    ['ARTICLE FETCH 1', { verb: 'UNKNOWN', line: 'ARTICLE FETCH 1' }],
    ['LIST extra', { verb: 'UNKNOWN', line: 'LIST extra' }],
    ['JOIN a b c', { verb: 'UNKNOWN', line: 'JOIN a b c' }],
    ['Hello there', { verb: 'UNKNOWN', line: 'Hello there' }],
    ['   ', null],
  ];
  for (const [line, want] of cases) t.strictSame(parseCommandLine(line), want, line);
});

t.test('a body: one command a line, STOP ends, quotes and signatures skipped', async (t) => {
  const cmds = parseCommands('HELP\r\n> LIST\r\n\r\nJOIN\r\nstop\r\nLEAVE\r\n');
  t.strictSame(cmds.map((c) => c.verb), ['HELP', 'JOIN']);
  t.strictSame(parseCommands('HELP\n-- \nLIST\n').map((c) => c.verb), ['HELP']);
});

t.test('ranges', async (t) => {
  t.strictSame(parseRange(undefined), { all: true });
  t.strictSame(parseRange('all'), { all: true });
  t.equal(parseRange('x'), null);
  t.ok(inRange(parseRange('3-5')!, 4));
  t.notOk(inRange(parseRange('3-5')!, 6));
  t.ok(inRange(parseRange('7')!, 7));
});

t.test('the subject tag (seed examples) wraps at the width', async (t) => {
  t.equal(formatTag('[test %03d]', 1), '[test 001]');
  t.equal(formatTag('[test %04d]', 1), '[test 0001]');
  t.equal(formatTag('[test %05d]', 12345), '[test 12345]');
  t.equal(formatTag('[test %03d]', 999), '[test 999]');
  t.equal(formatTag('[test %03d]', 1000), '[test 000]');
  t.equal(formatTag('(ml:%d)', 1234), '(ml:1234)');
});

t.test('tagging never doubles the tag on replies', async (t) => {
  const f = '[test %03d]';
  const cases: [string, number, string][] = [
    ['hello', 1, '[test 001] hello'],
    ['Re: [test 001] hello', 2, '[test 002] Re: hello'],
    ['[test 002] Re: hello', 3, '[test 003] Re: hello'],
    ['RE: Re: [test 002] Re: hello', 4, '[test 004] Re: hello'],
    ['Re: [test 001] [test 001] hello', 5, '[test 005] Re: hello'],
    ['Fwd: [test 001] hello', 6, '[test 006] Fwd: hello'],
    ['', 7, '[test 007]'],
    ['日本語の件名', 8, '[test 008] 日本語の件名'],
  ];
  for (const [subject, n, want] of cases) t.equal(tagSubject(subject, f, n), want, subject);
});

t.test('ML-5 split', async (t) => {
  const members = ['a@x.test', 'b@x.test', 'c@x.test', 'd@y.test', 'e@y.test', 'f@z.test', 'g@w.test'];
  const byDomain = splitMembers(members, 'domain', 2);
  t.equal(byDomain.length, 2);
  t.same(byDomain.flat().sort(), members, 'every member once');
  for (const d of ['x.test', 'y.test']) {
    t.equal(byDomain.filter((p) => p.some((a) => a.endsWith(`@${d}`))).length, 1, `${d} stays in one part`);
  }
  t.same(byDomain.map((p) => p.length).sort(), [3, 4], 'balanced: 3 (x) vs 2+1+1');
  t.same(splitMembers(members, 'even', 3).map((p) => p.length), [3, 3, 1]);
  t.same(splitMembers(members, 'domain', 10).length, 4, 'never more parts than domains');
  t.same(splitMembers([], 'even', 2), []);
  t.same(splitMembers(members, 'even', 1), [members]);
});
