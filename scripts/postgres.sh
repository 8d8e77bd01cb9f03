#!/usr/bin/env bash
# A local PostgreSQL server for tests and the scaled mode, on loopback, data in var/pg.
# `scripts/postgres.sh start` installs Debian's package when missing, starts the server and
# prints its SQLAlchemy URL; `scripts/postgres.sh stop` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PARTNERBOT_PG_PORT:-55432}
DIR=${PARTNERBOT_PG_DIR:-$PWD/var/pg}
DB=${PARTNERBOT_PG_DB:-partnerbot_test}
URL="postgresql+psycopg2://partnerbot@127.0.0.1:${PORT}/${DB}"

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_owner() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# As root the server runs as the postgres user, which must reach the data folder. A checkout under
# a private folder (`mktemp -d` makes it 0700) keeps that user out, so the cluster then lives under
# /var/tmp/partnerbot-pg/, one per requested folder (start and stop find the same one).
reachable_dir() {
  mkdir -p "$(dirname "$DIR")"
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$(dirname "$DIR")" 2>/dev/null; then
    mkdir -p /var/tmp/partnerbot-pg
    echo "/var/tmp/partnerbot-pg/$(printf %s "$DIR" | sha1sum | cut -c1-16)"
  else
    echo "$DIR"
  fi
}

case "${1:-start}" in
  start)
    BIN=$(bindir)
    if [ -z "$BIN" ]; then
      echo "installing PostgreSQL (Debian package)…" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
      BIN=$(bindir)
    fi
    [ -n "$BIN" ] || { echo "PostgreSQL is not installed and could not be installed" >&2; exit 1; }
    DIR=$(reachable_dir)
    if [ ! -f "$DIR/PG_VERSION" ]; then
      mkdir -p "$DIR"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
      as_owner "$BIN/initdb" -D "$DIR" -A trust -U partnerbot -E UTF8 >/dev/null
    fi
    if ! as_owner "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
      as_owner "$BIN/pg_ctl" -D "$DIR" -w -t 60 -l "$DIR/server.log" \
        -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" start >/dev/null
    fi
    if ! "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U partnerbot -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1; then
      "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U partnerbot "$DB"
    fi
    echo "$URL"
    ;;
  stop)
    BIN=$(bindir)
    [ -n "$BIN" ] || exit 0
    DIR=$(reachable_dir)
    [ -f "$DIR/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$DIR" -m fast stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
