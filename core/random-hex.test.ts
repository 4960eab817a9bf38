import t from 'tap';
import { randomHex } from './random-hex.ts';

t.test('randomHex: the length asked for, hex, and no id twice across pool refills', async (t) => {
  const ids = Array.from({ length: 5000 }, () => randomHex(12));
  t.same(ids.filter((id) => !/^[0-9a-f]{24}$/.test(id)), [], 'every id is 24 hex digits');
  t.equal(new Set(ids).size, 5000, '5000 different ids (the 4 KiB pool was refilled about 15 times)');
  t.throws(() => randomHex(65), RangeError);
});
