# Sourced by .ci/run: a throwaway PostgreSQL server for the test suite, stopped when the shell exits.
#
# Unless ONBOARD_TEST_POSTGRES_URL is already set, find (or, as root or with passwordless sudo, install
# from Debian's packages) PostgreSQL, create a cluster in a temporary folder as a non-root user, start it
# on a free loopback port and export ONBOARD_TEST_POSTGRES_URL. When that cannot be done, say so: the
# tests then run on SQLite only.

onboard_pg_log() { echo "[postgres] $*" >&2; }

# Run a command as root: directly, through passwordless sudo, or not at all (status 1).
onboard_as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 1
    fi
}

# Install Debian packages unless a command they provide is already there.
onboard_apt_install() {
    local command=$1
    shift
    command -v "$command" >/dev/null && return 0
    onboard_pg_log "installing $* from Debian's packages"
    onboard_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
        onboard_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The bin folder of the newest installed PostgreSQL server, or nothing.
onboard_pg_bindir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1) || true
    if [ -n "$found" ] && [ -x "$found/initdb" ]; then
        echo "$found"
    elif command -v initdb >/dev/null; then
        dirname "$(command -v initdb)"
    fi
}

onboard_pg_start() {
    local bindir port password
    bindir=$(onboard_pg_bindir)
    if [ -z "$bindir" ]; then
        onboard_apt_install pg_ctlcluster postgresql || true
        bindir=$(onboard_pg_bindir)
    fi
    if [ -z "$bindir" ]; then
        onboard_pg_log "PostgreSQL is not installed and cannot be (needs root or passwordless sudo):"
        onboard_pg_log "the database tests run on SQLite only"
        return 0
    fi

    ONBOARD_PG_DIR=$(mktemp -d /tmp/onboard-pg.XXXXXX)
    # initdb refuses to run as root: the cluster belongs to nobody (only for the length of this run)
    ONBOARD_PG_RUN=()
    if [ "$(id -u)" = 0 ]; then
        chown nobody "$ONBOARD_PG_DIR"
        ONBOARD_PG_RUN=(runuser -u nobody --)
    fi
    password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    echo "$password" >"$ONBOARD_PG_DIR/pwfile"
    chmod 600 "$ONBOARD_PG_DIR/pwfile"
    if [ "$(id -u)" = 0 ]; then chown nobody "$ONBOARD_PG_DIR/pwfile"; fi

    onboard_pg_log "starting PostgreSQL ($("$bindir/postgres" --version)) on 127.0.0.1:$port"
    "${ONBOARD_PG_RUN[@]}" "$bindir/initdb" -D "$ONBOARD_PG_DIR/data" -U onboard --pwfile="$ONBOARD_PG_DIR/pwfile" \
        --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$ONBOARD_PG_DIR/initdb.log" 2>&1 || {
        onboard_pg_log "initdb failed (see $ONBOARD_PG_DIR/initdb.log): the database tests run on SQLite only"
        return 0
    }
    "${ONBOARD_PG_RUN[@]}" "$bindir/pg_ctl" -D "$ONBOARD_PG_DIR/data" -l "$ONBOARD_PG_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$ONBOARD_PG_DIR -c max_connections=200 -c fsync=off" \
        start >/dev/null || {
        onboard_pg_log "PostgreSQL did not start (see $ONBOARD_PG_DIR/server.log): the database tests run on SQLite only"
        return 0
    }
    ONBOARD_PG_BINDIR=$bindir
    trap onboard_pg_stop EXIT
    PGPASSWORD=$password "$bindir/createdb" -h 127.0.0.1 -p "$port" -U onboard onboard_test
    export ONBOARD_TEST_POSTGRES_URL="postgresql+psycopg://onboard:$password@127.0.0.1:$port/onboard_test"
    onboard_pg_log "ONBOARD_TEST_POSTGRES_URL points at database onboard_test on 127.0.0.1:$port"
}

onboard_pg_stop() {
    "${ONBOARD_PG_RUN[@]}" "$ONBOARD_PG_BINDIR/pg_ctl" -D "$ONBOARD_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$ONBOARD_PG_DIR"
}

if [ -z "${ONBOARD_TEST_POSTGRES_URL:-}" ]; then
    onboard_pg_start
else
    onboard_pg_log "using the PostgreSQL server of ONBOARD_TEST_POSTGRES_URL"
fi
