#!/usr/bin/env bash
# Hostile load on clientid-server: 1,000 idle or slow connections, a flood
# client and a well-behaved client timed over and over (Benchmarks/hostile_load.py).
# Prints the well-behaved session's p50/p99 latency against a stated p99 limit and
# the server's memory per 1,000 connections. 127.0.0.1 only; bounded by `timeout`;
# the server it starts is stopped by its PID.
#
# Usage: Benchmarks/hostile-load.sh
#   CONNECTIONS (1000), SECONDS_UNDER_LOAD (30), P99_LIMIT_MS (250),
#   SERVER (a prebuilt clientid-server; otherwise a release build in SCRATCH,
#   default .build-server-release).
set -euo pipefail
. "$(dirname "$0")/../scripts/help.sh"
case "${1:-}" in   # anything else is refused rather than run
    "") ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
connections=${CONNECTIONS:-1000}
seconds=${SECONDS_UNDER_LOAD:-30}
limit=${P99_LIMIT_MS:-250}

# shellcheck source=Benchmarks/server-binary.sh
. "$root/Benchmarks/server-binary.sh"

# One descriptor per connection on each side, and some to spare.
ulimit -n $(( connections * 2 + 1024 ))

work=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Every connection comes from 127.0.0.1: lift the per-address cap for this test only.
"$server" --listen "127.0.0.1:$port" --sink --allow-unauthenticated --hostname load.example.com \
    --data-dir "$work/data" --device-key "$work/device-key" --max-connections $(( connections + 200 )) --max-connections-per-ip 0 \
    --log-level error 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),timeout=1).close()" 2>/dev/null; then break; fi
    sleep 0.1
done

echo "== $connections held connections + flood + well-behaved client, ${seconds}s (server: $server)"
status=0
timeout $(( ${seconds%.*} + 120 )) python3 "$root/Benchmarks/hostile_load.py" "$port" "$pid" \
    --connections "$connections" --seconds "$seconds" --p99-limit-ms "$limit" || status=$?
if ! kill -0 "$pid" 2>/dev/null; then
    echo "the server died:"; tail -20 "$work/server.log"; exit 1
fi
exit $status
