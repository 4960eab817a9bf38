/**
 * Scaling of SMTP ingest with cores: `npm run bench` (bench/smtp-ingest.ts) with both servers
 * pinned to one core (BENCH_CPUS=0) and then to two (BENCH_CPUS=0,1) — the appliance with
 * node.workers 'auto' (so one worker, then two), Postfix with its usual processes — and the
 * ratios: each server's 2-core/1-core rate, and the appliance against Postfix at each width.
 * smtp-source itself is not pinned. Env as bench/smtp-ingest.ts (BENCH_MESSAGES, ...), and
 * BENCH_SCALING_CPUS (default '0;0,1': the CPU lists to run, separated by ';'), BENCH_ROUNDS (3:
 * rounds of every width; the 2-core/1-core ratio printed is the median of the rounds' own).
 *
 *   npm run bench:scaling
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../test/helpers/process.ts';
import { intEnv, median } from './run.ts';

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
/** Rounds of every width (each run lasts seconds; this shared machine's speed drifts more than that between runs). */
const ROUNDS = intEnv('BENCH_ROUNDS', 3);
const rounds: Result[][] = [];
for (let r = 0; r < ROUNDS; r++) {
  const round: Result[] = [];
  for (const cpus of widths) round.push(await run(cpus));
  rounds.push(round);
}
const fmt = (n: number | null) => (n === null ? '-' : n.toFixed(1));
const known = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);
console.log(`smtp-scaling: CPUs        appliance msg/s  postfix msg/s  appliance/postfix   (round by round${ROUNDS > 1 ? ', then the medians' : ''})`);
const row = (cpus: string, appliance: number | null, postfix: number | null, label = '') => {
  const ratio = appliance && postfix ? `${(appliance / postfix).toFixed(2)}x` : '-';
  console.log(`smtp-scaling: ${cpus.padEnd(12)}${fmt(appliance).padStart(16)}${fmt(postfix).padStart(15)}  ${ratio}${label}`);
};
rounds.forEach((round, r) => round.forEach((x) => row(String(x.cpus), x.appliance, x.postfix, `   round ${r + 1}`)));
if (ROUNDS > 1) {
  widths.forEach((cpus, k) => {
    const a = known(rounds.map((round) => round[k].appliance));
    const p = known(rounds.map((round) => round[k].postfix));
    row(cpus, a.length ? median(a) : null, p.length ? median(p) : null, '   median');
  });
}
// each round's widest against its narrowest, then their median
const scaling = (which: 'appliance' | 'postfix') => known(rounds.map((round) => {
  const [one, last] = [round[0][which], round[round.length - 1][which]];
  return one && last ? last / one : null;
}));
if (widths.length > 1 && scaling('appliance').length) {
  const list = (xs: number[]) => (xs.length > 1 ? ` (rounds: ${xs.map((x) => x.toFixed(2)).join(' ')})` : '');
  const pf = scaling('postfix').length ? `, postfix ${median(scaling('postfix')).toFixed(2)}x${list(scaling('postfix'))}` : '';
  console.log(`smtp-scaling: ${widths[widths.length - 1]} vs ${widths[0]}: appliance ${median(scaling('appliance')).toFixed(2)}x${list(scaling('appliance'))}${pf}`);
}
