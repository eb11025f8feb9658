#!/usr/bin/env bash
# A throwaway single-node Ceph (one monitor, one in-memory OSD, radosgw) on 127.0.0.1: a real S3 server
# that checks signatures, expiry and size policies (moto does not). For the real-S3 test leg.
#
#   .ci/ceph-s3.sh start   installs the Debian packages if missing, starts Ceph (idempotent: a running
#                          one is reused), prints the S3 endpoint on its last line
#   .ci/ceph-s3.sh stop    stops the daemons by PID and removes the data directory (idempotent)
#
# S3: endpoint http://127.0.0.1:7480, access key TESTKEY, secret TESTSECRET, any region name.
# Install ~40 s, start ~13 s, ~120 MB of RAM. No auth between the daemons: 127.0.0.1 only, tests only.
set -euo pipefail

C=${CEPH_DIR:-/tmp/kakehashi-ceph}
PORT=7480
ENDPOINT="http://127.0.0.1:$PORT"
PACKAGES=(radosgw ceph-mon ceph-osd ceph-common curl)

running() {  # started completely by this script (the test user exists) and still answering
  [ -f "$C/ready" ] && [ -f "$C/run/client.rgw.a.pid" ] && kill -0 "$(cat "$C/run/client.rgw.a.pid")" 2>/dev/null \
    && curl -s -o /dev/null --max-time 2 "$ENDPOINT/"
}

terminate() {  # TERM one daemon by its PID file, then SIGKILL it if it is still there after 10 s
  local pidfile=$C/run/$1.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

stop() {  # one after the other (~2 s each; stopped together, radosgw waits minutes for the OSD)
  terminate client.rgw.a
  terminate osd.0
  terminate mon.a
  rm -rf "$C"
}

install() {
  local missing=()
  for command in radosgw ceph-mon ceph-osd ceph monmaptool radosgw-admin curl; do
    command -v "$command" >/dev/null || { missing=("${PACKAGES[@]}"); break; }
  done
  [ ${#missing[@]} -eq 0 ] && return
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -q -o DPkg::Lock::Timeout=300)  # wait for another apt-get rather than fail
  "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null \
    || { "${apt[@]}" update >/dev/null && "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null; }
}

fail() {
  echo "ceph-s3: $1" >&2
  for log in "$C"/log/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }; done
  stop
  exit 1
}

start() {
  install
  if running; then echo "$ENDPOINT"; return; fi
  stop  # leftovers of a crashed run
  mkdir -p "$C/run" "$C/log" "$C/mon.a" "$C/osd.0" "$C/rgw"
  local fsid
  fsid=$(cat /proc/sys/kernel/random/uuid)
  cat > "$C/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:3300
public network = 127.0.0.1/32
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon allow pool delete = true
mon data avail warn = 1
mon data avail crit = 0
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
osd objectstore = memstore
memstore device bytes = 1073741824
osd crush chooseleaf type = 0
run dir = $C/run
log file = $C/log/\$name.log
admin socket = $C/run/\$name.asok
pid file = $C/run/\$name.pid
ms bind ipv4 = true
ms bind ipv6 = false
ms mon client mode = crc
[mon.a]
mon data = $C/mon.a
mon addr = v2:127.0.0.1:3300
[osd.0]
osd data = $C/osd.0
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw data = $C/rgw
rgw dns name = 127.0.0.1
CONF
  export CEPH_CONF=$C/ceph.conf
  monmaptool --create --addv a '[v2:127.0.0.1:3300]' --fsid "$fsid" "$C/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$C/monmap" || fail "ceph-mon --mkfs failed"
  ceph-mon -i a || fail "ceph-mon did not start"
  timeout 60 ceph -s --connect-timeout 20 >/dev/null || fail "the monitor does not answer"
  local osd
  osd=$(timeout 60 ceph osd create) || fail "ceph osd create failed"
  ceph-osd -i "$osd" --mkfs 2>>"$C/log/ceph-osd.stderr" || fail "ceph-osd --mkfs failed"
  ceph-osd -i "$osd" 2>>"$C/log/ceph-osd.stderr" || fail "ceph-osd did not start"
  timeout 60 ceph osd crush add "osd.$osd" 1.0 host=localhost root=default >/dev/null 2>&1 || true
  radosgw -n client.rgw.a || fail "radosgw did not start"
  for _ in $(seq 120); do curl -s -o /dev/null --max-time 2 "$ENDPOINT/" && break; sleep 0.5; done
  curl -s -o /dev/null --max-time 2 "$ENDPOINT/" || fail "radosgw does not answer on $ENDPOINT"
  timeout 60 radosgw-admin user create --uid=test --display-name=test \
    --access-key=TESTKEY --secret-key=TESTSECRET >/dev/null || fail "radosgw-admin user create failed"
  touch "$C/ready"
  echo "$ENDPOINT"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
