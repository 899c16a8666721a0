#!/usr/bin/env bash
# Load test of clientid-server with Postfix's smtp-source, with Postfix's own
# smtp-sink as the reference peer measured in the same run. Prints messages per
# second for each and the ratio. 127.0.0.1 only; every client run is bounded by
# `timeout`, and the servers this script starts are stopped by their PIDs.
#
# Scenarios (each against smtp-sink, clientid-server --sink, clientid-server Maildir):
#   per-connection: one message per connection, 20 sessions in parallel
#   reuse:          20 sessions, each sending its messages over one connection (-d)
#
# Usage: Benchmarks/server-load.sh [--quick]
#   MESSAGES (default 4000; --quick 1000), SESSIONS (20), SIZE (message octets, 1024),
#   ROUNDS (default 3): interleaved runs per pair; the medians and their ratio are printed,
#   because one run on a shared 2-core machine moves by tens of percent;
#   SCRATCH (build folder, default .build-server-release), SERVER (a prebuilt binary),
#   SERVER_OPTIONS (more clientid-server options, e.g. "--event-loops 1"; default none).
# Besides messages/second, each server's CPU time per 1,000 messages is printed (all its
# threads, from /proc): steadier than throughput when the machine is shared.
# Needs smtp-source and smtp-sink (Debian package `postfix`): installed here
# non-interactively when missing and running as root; the postfix daemon is never started.
set -euo pipefail
. "$(dirname "$0")/../scripts/help.sh"
case "${1:-}" in   # anything else is refused rather than run
    "" | --quick) ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
messages=${MESSAGES:-4000}
sessions=${SESSIONS:-20}
size=${SIZE:-1024}
rounds=${ROUNDS:-3}
if [ "${1:-}" = "--quick" ]; then messages=${MESSAGES:-1000}; fi
limit=300   # seconds per smtp-source run

export PATH="$PATH:/usr/sbin"
if ! command -v smtp-source >/dev/null || ! command -v smtp-sink >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "== installing postfix (for smtp-source and smtp-sink; the daemon is not started)"
        echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
        apt-get update -qq >/dev/null
        # policy-rc.d answers 101 in containers; "No configuration" leaves nothing to start anyway.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix >/dev/null
    else
        echo "smtp-source/smtp-sink missing: apt-get install postfix (and do not start it)" >&2
        exit 1
    fi
fi

# shellcheck source=Benchmarks/server-binary.sh
. "$root/Benchmarks/server-binary.sh"

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() {   # port: bounded wait for a listener
    for _ in $(seq 1 100); do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),timeout=1).close()" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "nothing listening on 127.0.0.1:$1" >&2
    return 1
}

# smtp-sink: Postfix's test server. -u is required as root; -c counts.
sink_port=$(free_port)
sink_user=(); [ "$(id -u)" = 0 ] && sink_user=(-u nobody)
smtp-sink "${sink_user[@]}" 127.0.0.1:"$sink_port" 256 >/dev/null 2>&1 &
pids+=($!)

start_server() {   # port, name, extra options... (not in a subshell: its PID must reach `pids`)
    local port=$1 name=$2; shift 2
    # shellcheck disable=SC2086  # SERVER_OPTIONS is a list of words
    "$server" --listen 127.0.0.1:"$port" --allow-unauthenticated --hostname load.test \
        --max-connections-per-ip 1000 --log-level error --data-dir "$work/$name-data" \
        --device-key "$work/$name-device-key" ${SERVER_OPTIONS:-} "$@" \
        >"$work/$name.log" 2>&1 &
    pids+=($!)
}
sink_pid=${pids[0]}
server_sink_port=$(free_port)
start_server "$server_sink_port" sink --sink
server_sink_pid=${pids[1]}
server_maildir_port=$(free_port)
start_server "$server_maildir_port" maildir --maildir "$work/maildir"
server_maildir_pid=${pids[2]}
wait_port "$sink_port"; wait_port "$server_sink_port"; wait_port "$server_maildir_port"

# CPU time of a process so far, all threads, in nanoseconds (the first field of schedstat).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'; }

# Prints messages/second and the server's CPU milliseconds per 1,000 messages for one smtp-source run.
rate() {   # port, server PID, extra smtp-source options...
    local port=$1 pid=$2; shift 2
    local t0 t1 c0 c1
    c0=$(cpu_ns "$pid")
    t0=$(date +%s.%N)
    if ! timeout "$limit" smtp-source "$@" -s "$sessions" -m "$messages" -l "$size" \
            -f sender@load.test -t receiver@load.test -M load.test 127.0.0.1:"$port" >/dev/null 2>"$work/source.err"; then
        echo "smtp-source failed against port $port: $(head -3 "$work/source.err")" >&2
        echo "0 0"
        return
    fi
    t1=$(date +%s.%N)
    c1=$(cpu_ns "$pid")
    awk -v n="$messages" -v a="$t0" -v b="$t1" -v c0="$c0" -v c1="$c1" \
        'BEGIN { printf "%.0f %.1f", n / (b - a), (c1 - c0) / 1e6 / n * 1000 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
# The middle value (the mean of the two middle ones for an even count).
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $messages messages of $size octets, $sessions parallel sessions, 127.0.0.1"
echo "== clientid-server options: ${SERVER_OPTIONS:-(defaults)}"
echo "== medians of $rounds interleaved rounds (each round's figures in brackets); CPU: ms per 1,000 messages"
printf "%-16s %-10s %14s %18s %7s %10s %10s\n" scenario delivery "smtp-sink msg/s" "clientid-server" "ours/sink" "sink CPU" "our CPU"
for scenario in per-connection reuse; do
    options=(); [ "$scenario" = reuse ] && options=(-d)
    rate "$sink_port" "$sink_pid" "${options[@]}" >/dev/null   # warm-up
    for delivery in sink maildir; do
        port=$server_sink_port pid=$server_sink_pid
        [ "$delivery" = maildir ] && port=$server_maildir_port pid=$server_maildir_pid
        rate "$port" "$pid" "${options[@]}" >/dev/null     # warm-up
        # Interleaved, so that both see the same machine load.
        peers=(); ourss=(); peer_cpus=(); our_cpus=()
        for _ in $(seq 1 "$rounds"); do
            read -r r c <<<"$(rate "$sink_port" "$sink_pid" "${options[@]}")"
            peers+=("$r"); peer_cpus+=("$c")
            read -r r c <<<"$(rate "$port" "$pid" "${options[@]}")"
            ourss+=("$r"); our_cpus+=("$c")
        done
        peer=$(median "${peers[@]}"); ours=$(median "${ourss[@]}")
        printf '%-16s %-10s %14s %18s %7s %10s %10s   [%s] [%s]\n' "$scenario" "$delivery" "$peer" "$ours" \
            "$(ratio "$ours" "$peer")" "$(median "${peer_cpus[@]}")" "$(median "${our_cpus[@]}")" "${peers[*]}" "${ourss[*]}"
    done
done

delivered=$(find "$work/maildir/new" -type f | wc -l)
partial=$(find "$work/maildir/tmp" -type f | wc -l)
echo "== Maildir: $delivered messages in new/, $partial in tmp/ (expected $((messages * 2 * (rounds + 1))) and 0)"
if grep -qi "error\|critical" "$work"/sink.log "$work"/maildir.log; then
    echo "== server errors:"; grep -hi "error\|critical" "$work"/sink.log "$work"/maildir.log | head -5
fi
