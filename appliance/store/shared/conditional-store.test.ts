import t from 'tap';
import { decideFlagChange } from './conditional-store.ts';

t.test('STORE decisions with and without UNCHANGEDSINCE (RFC 7162 §3.1.3)', async (t) => {
  t.same(decideFlagChange(['\\Seen'], 5, 'add', ['\\Flagged']), { kind: 'change', flags: ['\\Seen', '\\Flagged'] });
  t.same(decideFlagChange(['\\Seen'], 5, 'add', ['\\seen']), { kind: 'same', flags: ['\\Seen'], report: false }, 'case-insensitive, no write');
  t.same(decideFlagChange(['\\Seen'], 5, 'add', ['\\Seen'], 5), { kind: 'same', flags: ['\\Seen'], report: true }, 'reported under UNCHANGEDSINCE');
  t.same(decideFlagChange([], 6, 'set', ['a'], 5), { kind: 'failed' }, 'modified since');
  t.same(decideFlagChange(['a', 'b'], 5, 'remove', ['A'], 5), { kind: 'change', flags: ['b'] }, 'equal mod-sequence passes');
});
