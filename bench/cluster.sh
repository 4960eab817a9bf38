#!/bin/bash
# npm run bench:cluster: SMTP accept and delivery rates of the embedded store on 1 node against
# the PostgreSQL store on 1 and 2 nodes (see bench/cluster.ts for the workload and BENCH_* variables).
# Needs: Debian's postfix (smtp-source, smtp-sink) and postgresql packages, root (PostgreSQL runs as postgres).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec node --import tsx bench/cluster.ts "$@"
