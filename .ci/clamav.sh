#!/usr/bin/env bash
# ClamAV for the malware-scanning tests: Debian's clamd with a local signature database holding only the
# EICAR test signature (no virus database can be downloaded here: freshclam has no network).
#
#   .ci/clamav.sh install        install clamav-daemon if clamd is missing (idempotent)
#   .ci/clamav.sh start DIR      build DIR/db, start clamd on 127.0.0.1:<free port> (and DIR/clamd.sock);
#                                print tcp://127.0.0.1:<port>
#   .ci/clamav.sh stop DIR       stop the clamd started in DIR (by its PID file)
#
# The tests (tests/core/test_scanning.py) run `start` and `stop` themselves when clamd is installed;
# CI only needs `install`. Everything stays inside DIR; nothing system-wide is started or configured.
set -euo pipefail

usage() { echo "usage: $0 install | start DIR | stop DIR" >&2; exit 2; }

# The EICAR anti-malware test file (68 bytes), as hex so that this script itself is not "infected".
EICAR_HEX=58354f2150254041505b345c505a58353428505e2937434329377d244549434152
EICAR_HEX+=2d5354414e444152442d414e544956495255532d544553542d46494c452124482b482a
EICAR_MD5=44d88612fea8a8f36de82e1278abb02f

install() {
  if command -v clamd >/dev/null 2>&1 || [ -x /usr/sbin/clamd ]; then
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends clamav-daemon)
  "${apt[@]}" >/dev/null || { apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null && "${apt[@]}" >/dev/null; }
  [ -x /usr/sbin/clamd ] || { echo "clamav.sh: clamd did not install" >&2; exit 1; }
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

ping() {  # ping PORT: clamd answers PONG
  python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1) as s:
    s.sendall(b"zPING\0")
    sys.exit(0 if s.recv(16).rstrip(b"\0") == b"PONG" else 1)
PY
}

start() {
  local dir=$1 clamd port
  clamd=$(command -v clamd || echo /usr/sbin/clamd)
  [ -x "$clamd" ] || { echo "clamav.sh: clamd is not installed (run: $0 install)" >&2; exit 1; }
  mkdir -p "$dir/db"
  dir=$(cd "$dir" && pwd)
  if [ -f "$dir/clamd.pid" ] && kill -0 "$(cat "$dir/clamd.pid")" 2>/dev/null; then
    echo "tcp://127.0.0.1:$(cat "$dir/clamd.port")"
    return 0
  fi
  # A body signature (the EICAR string anywhere in any file, so also inside a PDF) and a hash signature.
  echo "Kakehashi.Test.EICAR:0:*:${EICAR_HEX}" >"$dir/db/kakehashi-eicar.ndb"
  echo "${EICAR_MD5}:68:Kakehashi.Test.EICAR.Hash" >"$dir/db/kakehashi-eicar.hdb"
  port=$(free_port)
  cat >"$dir/clamd.conf" <<CONF
TCPSocket $port
TCPAddr 127.0.0.1
LocalSocket $dir/clamd.sock
DatabaseDirectory $dir/db
PidFile $dir/clamd.pid
LogFile $dir/clamd.log
TemporaryDirectory $dir
Foreground no
StreamMaxLength 80M
MaxThreads 4
CONF
  echo "$port" >"$dir/clamd.port"
  "$clamd" --config-file="$dir/clamd.conf" >>"$dir/clamd.out" 2>&1 || {
    echo "clamav.sh: clamd failed to start:" >&2; tail -n 20 "$dir/clamd.log" "$dir/clamd.out" >&2 2>/dev/null; exit 1;
  }
  for _ in $(seq 100); do
    if ping "$port"; then
      echo "tcp://127.0.0.1:$port"
      return 0
    fi
    sleep 0.1
  done
  echo "clamav.sh: clamd did not answer PING on 127.0.0.1:$port" >&2
  tail -n 20 "$dir/clamd.log" >&2 2>/dev/null || true
  stop "$dir"
  exit 1
}

stop() {
  local dir=$1 pid
  [ -f "$dir/clamd.pid" ] || return 0
  pid=$(cat "$dir/clamd.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$dir/clamd.pid"
}

case "${1:-}" in
  install) install ;;
  start) [ $# -eq 2 ] || usage; start "$2" ;;
  stop) [ $# -eq 2 ] || usage; stop "$2" ;;
  *) usage ;;
esac
