import t from 'tap';
import { latestByUid, readPages } from './pages.ts';

t.test('readPages: pages after the last row until a short page', async (t) => {
  const rows = Array.from({ length: 25 }, (_, i) => i + 1);
  const asked: (number | null)[] = [];
  const got: number[][] = [];
  await readPages<number>((after) => {
    asked.push(after);
    return rows.filter((r) => r > (after ?? 0)).slice(0, 10);
  }, (page) => void got.push(page), 10);
  t.same(asked, [null, 10, 20]);
  t.same(got.map((p) => p.length), [10, 10, 5]);
});

t.test('readPages: an exact multiple ends on an empty page, which `each` does not see', async (t) => {
  const got: number[][] = [];
  await readPages<number>((after) => (after === null ? [1, 2] : after === 2 ? [3, 4] : []), (page) => void got.push(page), 2);
  t.same(got, [[1, 2], [3, 4]]);
});

t.test('latestByUid: by UID, the version read last of a row seen twice', async (t) => {
  // read in (MODSEQ, UID) order: UID 2 changed again while the pages were read
  const rows = [{ uid: 5, modseq: 10 }, { uid: 2, modseq: 11 }, { uid: 9, modseq: 12 }, { uid: 2, modseq: 13 }];
  t.same(latestByUid(rows), [{ uid: 2, modseq: 13 }, { uid: 5, modseq: 10 }, { uid: 9, modseq: 12 }]);
});
