#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis on loopback for the test suite.
#   scripts/test-services.sh install   install PostgreSQL, Redis, Chromium and the PDF libraries from
#                                      Debian when missing
#   scripts/test-services.sh install-pdf   only the PDF libraries (make demo)
#   scripts/test-services.sh start     start both (idempotent), print the env to use
#   scripts/test-services.sh stop      stop both and delete their data
set -euo pipefail

PG_PORT="${COMPTOIR_PG_PORT:-54329}"
REDIS_PORT="${COMPTOIR_REDIS_PORT:-63799}"
RUN_DIR="${COMPTOIR_RUN_DIR:-/tmp/comptoir-test-services}"
PG_DATA="$RUN_DIR/pgdata"
PG_USER=comptoir
# WeasyPrint (delivery notes, quotes) loads Pango at run time and needs a font; the
# print stylesheet asks for DejaVu Sans.
PDF_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  done
  return 1
}

apt_install() {
  [ "$#" -gt 0 ] || return 0
  echo "Installing from Debian: $*"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The Debian packages among the arguments that are not installed (none when this is
# not a Debian system: nothing can be installed there, and nothing is guessed).
debian_missing() {
  command -v dpkg-query >/dev/null || return 0
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || echo "$package"
  done
}

install() {
  local missing=()
  pg_bin >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v chromium >/dev/null || missing+=(chromium)
  # The PDF libraries, and the font Chromium needs too.
  # shellcheck disable=SC2207  # package names have no spaces
  missing+=($(debian_missing "${PDF_PACKAGES[@]}"))
  apt_install "${missing[@]}"
}

install_pdf() {
  # shellcheck disable=SC2046  # package names have no spaces
  apt_install $(debian_missing "${PDF_PACKAGES[@]}")
}

# PostgreSQL refuses to run as root: when we are root, run it as the 'postgres'
# system user that Debian's package creates.
run_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  local bin
  bin="$(pg_bin)" || { echo "PostgreSQL is not installed: run '$0 install'" >&2; exit 1; }
  mkdir -p "$RUN_DIR"
  chmod 755 "$RUN_DIR"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    mkdir -p "$PG_DATA"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PG_DATA"
    run_pg "$bin/initdb" -D "$PG_DATA" -U "$PG_USER" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! run_pg "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    run_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w start \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
  fi
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
      --dir "$RUN_DIR" --pidfile "$RUN_DIR/redis.pid" --logfile "$RUN_DIR/redis.log" >/dev/null
  fi
  echo "DATABASE_URL=postgres://$PG_USER@127.0.0.1:$PG_PORT/comptoir"
  echo "REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

stop() {
  local bin
  if bin="$(pg_bin)" && [ -f "$PG_DATA/PG_VERSION" ]; then
    run_pg "$bin/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$RUN_DIR"
}

case "${1:-}" in
  install) install ;;
  install-pdf) install_pdf ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 install|install-pdf|start|stop" >&2; exit 2 ;;
esac
