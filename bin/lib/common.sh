# Shared by bin/dev and bin/test: installing what is missing and running private Redis and Postgres servers.
# Every server lives under a folder of .relay/ (git-ignored) and listens on 127.0.0.1 only.

RELAY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RELAY_STATE="$RELAY_ROOT/.relay"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        die "need root to run: $* (install sudo or run as root)"
    fi
}

postgres_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# Installs the Debian packages Relay needs when any of them is missing.
ensure_packages() {
    local missing=()
    command -v redis-server >/dev/null || missing+=(redis-server)
    command -v redis-benchmark >/dev/null || missing+=(redis-tools)
    [ -n "$(postgres_bin)" ] || missing+=(postgresql)
    [ -f /usr/include/hiredis/hiredis.h ] || missing+=(libhiredis-dev)
    command -v pkg-config >/dev/null || missing+=(pkg-config)
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    command -v swift >/dev/null || die "swift is not on PATH; install the Swift 6 toolchain first"
}

# Prints a TCP port that nothing listens on now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# pid_alive FILE: the process in a pid file is running (the file may vanish meanwhile: its server removes it).
pid_alive() { local pid; pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

# start_redis DIR PORT: a private redis-server with no persistence.
start_redis() {
    local dir=$1 port=$2
    mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
        --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save "" --appendonly no >/dev/null
    for _ in $(seq 1 100); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    die "redis-server did not start; see $dir/redis.log"
}

stop_redis() {
    local dir=$1
    if pid_alive "$dir/redis.pid"; then
        kill "$(cat "$dir/redis.pid" 2>/dev/null)" 2>/dev/null
        for _ in $(seq 1 100); do pid_alive "$dir/redis.pid" || break; sleep 0.05; done
    fi
    rm -f "$dir/redis.pid"
}

# Runs a Postgres tool as the user that owns the cluster: Postgres refuses to run as root.
pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# start_postgres DIR PORT: a private cluster (user and database "relay", trust on loopback).
start_postgres() {
    local dir=$1 port=$2 bin data
    bin=$(postgres_bin)
    data="$dir/pgdata"
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$dir"
        runuser -u postgres -- test -w "$dir" || die "the postgres user cannot write $dir; clone Relay where other users can reach it"
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        pg_as_owner "$bin/initdb" -D "$data" -U relay -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
            || die "initdb failed; see $dir/initdb.log"
    fi
    pg_as_owner "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 30 \
        -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || die "postgres did not start; see $dir/postgres.log"
    if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U relay -d postgres -Atqc "select 1 from pg_database where datname='relay'" | grep -q 1; then
        "$bin/createdb" -h 127.0.0.1 -p "$port" -U relay relay
    fi
}

stop_postgres() {
    local dir=$1 bin
    bin=$(postgres_bin)
    if [ -f "$dir/pgdata/postmaster.pid" ]; then
        pg_as_owner "$bin/pg_ctl" -D "$dir/pgdata" -m fast -w stop >/dev/null 2>&1 || true
    fi
}

postgres_running() {
    local dir=$1
    [ -f "$dir/pgdata/postmaster.pid" ] && kill -0 "$(head -n 1 "$dir/pgdata/postmaster.pid")" 2>/dev/null
}
