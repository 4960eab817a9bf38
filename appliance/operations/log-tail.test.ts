import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { linesSince } from './log-tail.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-tail-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

// 20 000 lines a second apart, each with multi-byte text: well over one 256 KiB chunk
const start = Date.parse('2026-12-01T00:00:00Z');
const lines = Array.from({ length: 20_000 }, (_, i) => `${new Date(start + i * 1000).toISOString()}\t受信 ${i}\t${'x'.repeat(i % 50)}`);
const file = path.join(dir, 'a.log');
fs.writeFileSync(file, lines.join('\n') + '\n');

t.test('the lines from a time to the end, across chunk boundaries, multi-byte text intact', async (t) => {
  const since = new Date(start + 12_345 * 1000).toISOString();
  const r = await linesSince(file, since, 1 << 30);
  t.equal(r.truncated, false);
  t.same(r.lines, lines.slice(12_345));
});

t.test('a window older than the file gives every line, the first one too', async (t) => {
  const r = await linesSince(file, '2000-01-01T00:00:00.000Z', 1 << 30);
  t.equal(r.lines.length, lines.length);
  t.equal(r.lines[0], lines[0]);
});

t.test('the byte cap stops the read and says so', async (t) => {
  const r = await linesSince(file, '2000-01-01T00:00:00.000Z', 300 * 1024);
  t.equal(r.truncated, true);
  t.ok(r.lines.length > 1000 && r.lines.length < lines.length);
  t.same(r.lines, lines.slice(-r.lines.length), 'the latest lines, whole');
});

t.test('a last line without its newline, and a missing file', async (t) => {
  const f = path.join(dir, 'b.log');
  fs.writeFileSync(f, '2026-12-01T00:00:00.000Z\tone\n2026-12-01T00:00:01.000Z\ttwo');
  t.same((await linesSince(f, '2026-12-01T00:00:00.500Z', 1 << 20)).lines, ['2026-12-01T00:00:01.000Z\ttwo']);
  t.same(await linesSince(path.join(dir, 'none.log'), '2026', 1 << 20), { lines: [], truncated: false });
});
