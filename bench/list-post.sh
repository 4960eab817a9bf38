#!/bin/bash
# One post to a 1,000-member list delivered to a loopback sink: the appliance vs Postfix expanding
# the same addresses as an alias (see bench/list-post.ts for the workload and the BENCH_* variables).
# Needs: Debian's postfix package and root (to run the Postfix peer).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec node --import tsx bench/list-post.ts "$@"
