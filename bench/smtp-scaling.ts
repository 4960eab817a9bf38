/**
 * Scaling of SMTP ingest with cores: `npm run bench` (bench/smtp-ingest.ts) with both servers
 * pinned to one core (BENCH_CPUS=0) and then to two (BENCH_CPUS=0,1) — the appliance with
 * node.workers 'auto' (so one worker, then two), Postfix with its usual processes — and the
 * ratios: each server's 2-core/1-core rate, and the appliance against Postfix at each width.
 * smtp-source itself is not pinned. Env as bench/smtp-ingest.ts (BENCH_MESSAGES, ...), and
 * BENCH_SCALING_CPUS (default '0;0,1': the CPU lists to run, separated by ';').
 *
 *   npm run bench:scaling
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../test/helpers/process.ts';

interface Result { cpus: string | null; appliance: number | null; postfix: number | null }

function run(cpus: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'smtp-ingest.ts')], {
      env: { ...process.env, BENCH_CPUS: cpus }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let result: Result | null = null;
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('smtp-ingest-result ')) result = JSON.parse(line.slice('smtp-ingest-result '.length)) as Result;
        else console.log(line);
      }
    });
    child.on('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`smtp-ingest with BENCH_CPUS=${cpus} exited ${code}`))));
  });
}

const widths = (process.env.BENCH_SCALING_CPUS ?? '0;0,1').split(';');
const results: Result[] = [];
for (const cpus of widths) results.push(await run(cpus));
const fmt = (n: number | null) => (n === null ? '-' : n.toFixed(1));
console.log('smtp-scaling: CPUs        appliance msg/s  postfix msg/s  appliance/postfix');
for (const r of results) {
  const ratio = r.appliance && r.postfix ? `${(r.appliance / r.postfix).toFixed(2)}x` : '-';
  console.log(`smtp-scaling: ${String(r.cpus).padEnd(12)}${fmt(r.appliance).padStart(16)}${fmt(r.postfix).padStart(15)}  ${ratio}`);
}
const [one, last] = [results[0], results[results.length - 1]];
if (results.length > 1 && one.appliance && last.appliance) {
  const pf = one.postfix && last.postfix ? `, postfix ${(last.postfix / one.postfix).toFixed(2)}x` : '';
  console.log(`smtp-scaling: ${last.cpus} vs ${one.cpus}: appliance ${(last.appliance / one.appliance).toFixed(2)}x${pf}`);
}
