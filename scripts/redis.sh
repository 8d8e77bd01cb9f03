#!/usr/bin/env bash
# A local Redis server for the scaled mode's lock store, on loopback, data in var/redis.
# `scripts/redis.sh start` installs Debian's redis-server when missing, starts the server and
# prints its URL; `scripts/redis.sh stop` stops it; `scripts/redis.sh status` exits 0 when it answers.
# PARTNERBOT_REDIS_PORT (default 56379) and PARTNERBOT_REDIS_DIR (default var/redis) choose another one.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PARTNERBOT_REDIS_PORT:-56379}
DIR=${PARTNERBOT_REDIS_DIR:-$PWD/var/redis}
URL="redis://127.0.0.1:${PORT}/0"

answers() { command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" = PONG ]; }

case "${1:-start}" in
  start)
    if ! command -v redis-server >/dev/null; then
      echo "installing Redis (Debian package)…" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2
    fi
    command -v redis-server >/dev/null || { echo "Redis is not installed and could not be installed" >&2; exit 1; }
    mkdir -p "$DIR"
    if ! answers; then
      # Loopback only, no persistence needed beyond a restart (locks live seconds), own pid/log files.
      redis-server --bind 127.0.0.1 --port "$PORT" --protected-mode yes --dir "$DIR" \
        --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" \
        --save "" --appendonly no >/dev/null
      for _ in $(seq 1 100); do answers && break; sleep 0.1; done
      answers || { echo "Redis did not start on 127.0.0.1:$PORT (see $DIR/redis.log)" >&2; exit 1; }
    fi
    echo "$URL"
    ;;
  stop)
    if answers; then
      redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
      for _ in $(seq 1 50); do answers || break; sleep 0.1; done
    fi
    # One started from this folder on another port (an interrupted run): stop it by its pid file.
    PID=$(cat "$DIR/redis.pid" 2>/dev/null || true)
    if [ -n "$PID" ] && grep -q redis-server "/proc/$PID/cmdline" 2>/dev/null; then
      kill "$PID" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    fi
    ;;
  status) answers ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
