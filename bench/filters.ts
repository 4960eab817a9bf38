/**
 * BENCH_FILTERS=1 for bench/smtp-ingest.ts: a real clamd (offline, test signatures; see
 * test/helpers/clamd.ts) and the plugin list with antivirus scanning every message through it
 * and mailfilter with 20 rules (subject, header and body tokens, none of which the benchmark's
 * messages carry, each refusing on a match, so a false positive fails the run).
 */
import { startClamd } from '../test/helpers/clamd.ts';

export async function startFilters(): Promise<{ plugins: unknown[]; close(): Promise<void> }> {
  const clamd = await startClamd();
  const kill = () => {
    try {
      process.kill(clamd.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  process.on('exit', kill);
  const level = { action: 1, keepCopy: false, banIp: false };
  const rules = [
    ...Array.from({ length: 10 }, (_, i) => ({ name: `subject ${i}`, headers: [{ header: 'Subject', token: `未承諾広告${i}` }], level })),
    ...Array.from({ length: 5 }, (_, i) => ({ name: `mailer ${i}`, headers: [{ header: 'X-Mailer', token: `BulkMailer ${i}` }], level })),
    ...Array.from({ length: 5 }, (_, i) => ({ name: `body ${i}`, body: [`cheap pills ${i}`, 'click here'], level })),
  ];
  return {
    // BENCH_FILTERS_ONLY=antivirus|mailfilter measures one of the two
    plugins: [
      { name: 'antivirus', options: { clamd: { socket: clamd.socket } } },
      { name: 'mailfilter', options: { rules } },
    ].filter((p) => !process.env.BENCH_FILTERS_ONLY || p.name === process.env.BENCH_FILTERS_ONLY),
    async close() {
      await clamd.close();
      process.off('exit', kill);
    },
  };
}
