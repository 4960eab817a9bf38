/**
 * The PostgreSQL queue claim (schema migration 6, queue_claim) on a real PostgreSQL 15: its cost
 * does not grow with the queue when the table has no statistics yet (a fresh or fast-growing
 * queue, before autovacuum analyzed it), and a group of recipients larger than the claim's scan
 * window is still leased whole. The lease semantics themselves (skip, re-check, lease ends,
 * two nodes at once) are the store contract's (test/store-postgres.test.ts).
 */
import t from 'tap';
import pg from 'pg';
import { startPostgres } from './helpers/postgres.ts';
import { openPostgresStore, type PostgresStores } from '../appliance/store/postgres/index.ts';

const server = await startPostgres();
t.teardown(() => server.stop());

async function fresh(): Promise<{ stores: PostgresStores; client: pg.Client }> {
  const url = await server.database();
  const stores = await openPostgresStore({ url, nodeName: 'n1' });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.teardown(async () => {
    await client.end();
    await stores.close();
  });
  return { stores, client };
}

/**
 * The rows of queue_recipients this connection read, from its statistics not yet flushed to the
 * server's (exact, at once; they add up over transactions until the next flush, so take a
 * difference): returned by sequential and bitmap heap scans of the table, and index entries
 * returned by scans of each of its indexes.
 */
async function rowsRead(client: pg.Client): Promise<number> {
  const [{ n }] = (await client.query(`SELECT sum(pg_stat_get_xact_tuples_returned(c.oid) + pg_stat_get_xact_tuples_fetched(c.oid)) AS n
    FROM pg_class c WHERE c.oid = 'queue_recipients'::regclass OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'queue_recipients'::regclass)`)).rows;
  return Number(n);
}

t.test('a claim on an unanalyzed queue of 2,000 reads the rows at its head, not all of them', async (t) => {
  const { stores, client } = await fresh();
  // the first entry is the most overdue; the others as the bench queues them (one recipient each)
  const first = await stores.queue.enqueue({ mailFrom: 'a@x.test', recipients: ['r@sink.test'], content: Buffer.from('Subject: first\r\n\r\nx\r\n') });
  await client.query('UPDATE queue_recipients SET next_attempt = 1 WHERE queue_id = $1', [first]);
  await client.query(`INSERT INTO blobs (id, size, data, refs) SELECT 'b' || i, 3, 'abc', 1 FROM generate_series(1, 2000) i`);
  await client.query(`INSERT INTO queue (id, mail_from, blob_id, created, size) SELECT 'q' || i, 'a@x.test', 'b' || i, 2, 3 FROM generate_series(1, 2000) i`);
  await client.query(`INSERT INTO queue_recipients (queue_id, recipient, domain, next_attempt)
    SELECT 'q' || i, 'r@sink.test', 'sink.test', 2 FROM generate_series(1, 2000) i`);
  const [{ analyzed }] = (await client.query(`SELECT last_analyze IS NULL AND last_autoanalyze IS NULL AS analyzed FROM pg_stat_user_tables WHERE relname = 'queue_recipients'`)).rows;
  t.equal(analyzed, true, 'no statistics on queue_recipients yet');
  await client.query('BEGIN');
  const before = await rowsRead(client);
  const now = Date.now();
  const rows = (await client.query('SELECT * FROM queue_claim($1, $2::text[], $3, $4, $5, $6)', [now, [], 40, 1, now + 60_000, 'n1:test'])).rows;
  const fetched = (await rowsRead(client)) - before;
  await client.query('COMMIT');
  t.same(rows.map((r) => r.queue_id), [first], 'the most overdue entry');
  t.ok(rows[0].data, 'with its message bytes');
  // the one-statement claim before migration 6 read every pending row, twice
  t.ok(fetched < 200, `rows of queue_recipients read: ${fetched}`);
  const [b] = await stores.queue.claim(1, 60_000);
  t.not(b.queueId, first, 'the leased entry is not claimed again');
});

t.test('a group larger than the scan window is leased whole', async (t) => {
  const { stores } = await fresh();
  // claim(1) scans 8 * 1 + 32 = 40 due rows: 60 recipients of one domain are one group beyond it
  const recipients = Array.from({ length: 60 }, (_, i) => `r${i}@big.test`);
  const id = await stores.queue.enqueue({ mailFrom: 'a@x.test', recipients, content: Buffer.from('Subject: big\r\n\r\nx\r\n') });
  const other = await stores.queue.enqueue({ mailFrom: 'a@x.test', recipients: ['s@small.test'], content: Buffer.from('Subject: small\r\n\r\nx\r\n') });
  const batches = await stores.queue.claim(1, 60_000);
  t.equal(batches.length, 1);
  t.equal(batches[0].queueId, id);
  t.same(batches[0].recipients.map((r) => r.recipient).sort(), [...recipients].sort(), 'every recipient of the group');
  t.match(batches[0].content?.toString(), /Subject: big/);
  const next = await stores.queue.claim(5, 60_000);
  t.same(next.map((b) => [b.queueId, b.recipients.length]), [[other, 1]], 'then the other entry, nothing of the leased one');
});

t.test('claims racing for the rows of one group neither deadlock nor share a recipient', async (t) => {
  const { stores } = await fresh();
  const url = stores.db.url;
  const node2 = await openPostgresStore({ url, nodeName: 'n2' });
  t.teardown(() => node2.close());
  // three recipients of one domain per entry: a claim that has read one row of a group while
  // another claim reads the next one both want the group's other rows
  for (let i = 0; i < 80; i++) {
    await stores.queue.enqueue({ mailFrom: 'a@x.test', recipients: [`a${i}@d${i % 2}.test`, `b${i}@d${i % 2}.test`, `c${i}@d${i % 2}.test`], content: Buffer.from(`Subject: ${i}\r\n\r\nx\r\n`) });
  }
  const claimed: string[] = [];
  const worker = async (s: PostgresStores) => {
    for (;;) {
      const got = await s.queue.claim(1, 60_000);
      if (!got.length) return;
      for (const b of got) for (const r of b.recipients) claimed.push(`${b.queueId}/${r.recipient}`);
    }
  };
  await Promise.all([stores, node2, stores, node2, stores, node2, stores, node2].map(worker));
  t.equal(claimed.length, 240, 'every recipient claimed');
  t.equal(new Set(claimed).size, 240, 'none twice');
});
