#!/usr/bin/env bash
# Starts a private PostgreSQL cluster on 127.0.0.1 for the shared device registry's
# tests (DeviceRegistryPostgres, docs/server.md), or finds it already running, and
# prints its URL on standard output (everything else goes to standard error):
#
#   export CLIENTID_TEST_POSTGRES_URL=$(bash scripts/start-postgres.sh)
#
# Idempotent: a second run reuses the cluster, its port, role and database. The
# cluster is our own (initdb), not Debian's `main` one, so it needs no init
# system and leaves any other PostgreSQL alone. Needs Debian's `postgresql`
# package (`apt-get install -y postgresql`). As root, the server runs as the
# `postgres` user; otherwise as the caller, who must own the data folder.
#
# Environment: CLIENTID_PG_DATA (data folder), CLIENTID_PG_PORT (first port tried).
# `scripts/start-postgres.sh stop` stops the cluster.
set -euo pipefail
. "$(dirname "$0")/help.sh"

data=${CLIENTID_PG_DATA:-/var/lib/postgresql/clientid-test}
first_port=${CLIENTID_PG_PORT:-55432}
role=clientid
password=clientid
database=clientid_test

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "start-postgres: no PostgreSQL server found; install it with: apt-get install -y postgresql" >&2
    exit 1
fi

# The server refuses to run as root: run its tools as `postgres` then.
as_server() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { as_server "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

if [ "${1:-}" = stop ]; then
    if running; then as_server "$bin/pg_ctl" -D "$data" -m fast -w stop >&2; fi
    exit 0
fi

if [ ! -s "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$data"; fi
    chmod 700 "$data"
    # Local (socket) connections for the superuser to set up; TCP ones need a password.
    as_server "$bin/initdb" -D "$data" -U postgres -E UTF8 --auth-local=trust --auth-host=scram-sha-256 >&2
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if running; then
    port=$(cat "$data/clientid.port")
else
    # The first free port from CLIENTID_PG_PORT on (bounded: 100 tries).
    port=$first_port
    while port_in_use "$port"; do
        port=$((port + 1))
        if [ "$port" -ge $((first_port + 100)) ]; then
            echo "start-postgres: no free port in $first_port-$port" >&2
            exit 1
        fi
    done
    as_server sh -c "echo $port > '$data/clientid.port'"
    # The socket lives in the data folder: /var/run/postgresql may not exist without the init system.
    as_server "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
        -o "-p $port -k $data -c listen_addresses=127.0.0.1" start >&2
fi

psql() { as_server "$bin/psql" -h "$data" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" != 1 ]; then
    psql -c "CREATE ROLE $role LOGIN PASSWORD '$password'" >&2
fi
if [ "$(psql -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" != 1 ]; then
    psql -c "CREATE DATABASE $database OWNER $role" >&2
fi

echo "postgres://$role:$password@127.0.0.1:$port/$database"
