#!/bin/bash
# A throwaway Postfix on loopback, the reference peer of the SMTP benchmarks (same setup as
# shared/peers/postfix-start.sh, kept here so the repository is self-contained). It accepts mail for
# y.test (and PEER_DOMAINS), queues it durably as a real MTA does (cleanup fsyncs the queue file
# before smtpd answers 250), then hands it to discard:.
#
#   bench/postfix-peer.sh start DIR [PORT=2530]
#   bench/postfix-peer.sh stop DIR
#
# Needs Debian's postfix package (DEBIAN_FRONTEND=noninteractive apt-get install postfix; "No
# configuration" is fine) and root. Gotchas handled: an alternate config directory must be listed in
# /etc/postfix/main.cf (alternate_config_directories; removed again on stop); Postfix logs only to
# syslog unless maillog_file is set; the data directory must belong to the postfix user; `postfix
# start` is run under script(1) so it has a terminal.
set -euo pipefail
cmd=${1:?usage: postfix-peer.sh start|stop DIR [PORT]}
R=$(realpath -m "${2:?usage: postfix-peer.sh start|stop DIR [PORT]}")
P=${3:-2530}

alt_dirs() { postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null || true; }

case "$cmd" in
start)
  command -v postfix >/dev/null || { echo "postfix-peer: postfix is not installed (apt-get install postfix)" >&2; exit 1; }
  mkdir -p "$R/etc" "$R/queue" "$R/data"
  [ -f /etc/postfix/main.cf ] || cp /usr/share/postfix/main.cf.dist /etc/postfix/main.cf 2>/dev/null || touch /etc/postfix/main.cf
  cur=$(alt_dirs)
  case " $cur " in *" $R/etc "*) ;; *) postconf -c /etc/postfix -e "alternate_config_directories = $cur $R/etc" ;; esac
  sed -E "s/^smtp\s+inet.*/127.0.0.1:$P inet n - n - - smtpd/" /etc/postfix/master.cf > "$R/etc/master.cf"
  cat > "$R/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $R/queue
data_directory = $R/data
myhostname = peer.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
relay_domains = y.test ${PEER_DOMAINS:-}
transport_maps = inline:{ y.test=discard: }
default_transport = ${PEER_TRANSPORT:-discard:}
relay_transport = ${PEER_TRANSPORT:-discard:}
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject
default_process_limit = 200
maillog_file_prefixes = $R
maillog_file = $R/maillog
CF
  chown -R postfix "$R/data"
  if command -v runuser >/dev/null && ! runuser -u postfix -- test -w "$R/data"; then
    echo "postfix-peer: the postfix user cannot write $R/data (a parent directory is not searchable, e.g. a 0700 mktemp -d)" >&2
    exit 1
  fi
  postfix -c "$R/etc" check
  script -qc "postfix -c $R/etc start" /dev/null >/dev/null
  for _ in $(seq 1 80); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$P") 2>/dev/null; then echo "postfix listening on 127.0.0.1:$P"; exit 0; fi
    sleep 0.25
  done
  echo "postfix did not start; see $R/maillog" >&2
  exit 1
  ;;
stop)
  if [ -f "$R/etc/main.cf" ]; then script -qc "postfix -c $R/etc stop" /dev/null >/dev/null 2>&1 || true; fi
  # wait for master to go, so the queue directory can be removed
  pidf="$R/queue/pid/master.pid"
  for _ in $(seq 1 40); do
    [ -f "$pidf" ] && kill -0 "$(tr -dc 0-9 < "$pidf")" 2>/dev/null || break
    sleep 0.25
  done
  cur=$(alt_dirs)
  case " $cur " in
    *" $R/etc "*)
      new=$(printf '%s\n' $cur | { grep -vxF "$R/etc" || true; } | tr '\n' ' ' | sed 's/ *$//')
      postconf -c /etc/postfix -e "alternate_config_directories = $new" ;;
  esac
  ;;
*) echo "usage: postfix-peer.sh start|stop DIR [PORT]" >&2; exit 2 ;;
esac
