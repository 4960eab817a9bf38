#!/usr/bin/env bash
# IMAP benchmarks: the load mix against the appliance and Dovecot, then the 100,000-message mailbox.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dovecot >/dev/null || { echo "dovecot not found: apt-get install -y dovecot-imapd"; exit 1; }
npx tsx bench/imap-load.ts
npx tsx bench/imap-large.ts
