#!/bin/bash
# npm run bench: SMTP ingest of the appliance vs a throwaway Postfix, measured with Postfix's
# smtp-source (see bench/smtp-ingest.ts for the workload and the BENCH_* variables).
# Needs: Debian's postfix package (smtp-source, postfix), root (to run the Postfix peer).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# one node process (no npx wrapper): signals reach the script, whose handlers clean up
exec node --import tsx bench/smtp-ingest.ts "$@"
