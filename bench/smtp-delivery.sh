#!/bin/bash
# Delivery of queued mail to smtp-sink: the appliance vs a throwaway Postfix (see
# bench/smtp-delivery.ts for the workload and the BENCH_* variables).
# Needs: Debian's postfix package (smtp-sink, smtp-source, postfix), root (to run the Postfix peer).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec node --import tsx bench/smtp-delivery.ts "$@"
