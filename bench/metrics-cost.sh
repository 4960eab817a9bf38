#!/bin/bash
# npm run bench:metrics: the cost of /metrics on SMTP ingest. The ingest benchmark
# (bench/smtp-ingest.ts, appliance only) runs alternately without and with /metrics scraped every
# second, ROUNDS (2) times each; prints each rate and the ratio scraped / not scraped per round.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${ROUNDS:-2}
rate() { BENCH_ONLY=appliance "$@" node --import tsx bench/smtp-ingest.ts | tee /dev/stderr | sed -n 's/^smtp-ingest-result //p' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).appliance))'; }
for i in $(seq 1 "$ROUNDS"); do
  plain=$(rate env)
  scraped=$(rate env BENCH_SCRAPE_MS=1000)
  echo "metrics-cost round $i: not scraped $plain msg/s, scraped every 1 s $scraped msg/s, ratio $(node -e "console.log(($scraped/$plain).toFixed(3))")x"
done
