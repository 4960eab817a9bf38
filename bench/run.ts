/** What the benchmark scripts share: env numbers, the Postfix peer script, clean-up and the run wrapper. */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { REPO_ROOT, type ApplianceProcess } from '../test/helpers/process.ts';

/** bench/postfix-peer.sh: start|stop a throwaway Postfix on loopback. */
export const PEER_SCRIPT = path.join(REPO_ROOT, 'bench', 'postfix-peer.sh');

/** An integer setting from the environment, at least `min` (default 1). */
export function intEnv(name: string, dflt: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    const what = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer >= ${min}`;
    throw new Error(`${name} must be ${what} (got ${JSON.stringify(raw)})`);
  }
  return n;
}

/** What a benchmark may leave running at any moment. */
export interface BenchLeftovers {
  children?: Iterable<ChildProcess>;
  appliance: ApplianceProcess | null;
  postfixDir: string | null;
}

/**
 * Whatever happens (exit, failure, SIGINT/SIGTERM/SIGHUP): kill the children and the appliance,
 * stop Postfix, remove the work directory (kept with BENCH_KEEP). Returns the clean-up function.
 */
export function installCleanup(name: string, work: string, leftovers: () => BenchLeftovers): () => void {
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    const { children = [], appliance, postfixDir } = leftovers();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (appliance?.running) appliance.child.kill('SIGKILL');
    if (postfixDir) {
      try {
        execFileSync('bash', [PEER_SCRIPT, 'stop', postfixDir], { stdio: 'ignore', timeout: 20_000 });
      } catch {
        // best effort
      }
    }
    if (process.env.BENCH_KEEP) console.error(`${name}: kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      console.error(`${name}: ${sig}, cleaning up`);
      cleanup();
      process.exit(130);
    });
  }
  return cleanup;
}

/** Runs a benchmark's main, cleans up whatever happens, and exits 0 or 1 with the reason. */
export function runBench(name: string, main: () => Promise<void>, cleanup: () => void): void {
  main().then(
    () => {
      cleanup();
      process.exit(0);
    },
    (err: unknown) => {
      console.error(`${name}: FAILED: ${err instanceof Error ? err.message : String(err)}`);
      cleanup();
      process.exit(1);
    },
  );
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}
