#!/usr/bin/env bash
# Usage: setup-host.sh [--rebuild]   (npm run setup-host)
# Prepares a Debian 12 hosting server for probe, as root, with or without systemd:
# packages, a running Docker engine, nginx with probe's vhost folder, and the
# offline demo images. Idempotent: a second run only checks, in a few seconds.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# npm may run us with a PATH that lacks the sbin folders where dockerd and nginx live.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

source "$HERE/lib/common.sh"
source "$HERE/lib/packages.sh"
source "$HERE/lib/engine.sh"
source "$HERE/lib/nginx.sh"

REBUILD=()
for arg in "$@"; do
  case $arg in
    --rebuild) REBUILD=(--rebuild) ;;
    -h | --help)
      sed -n '2,5s/^# \{0,1\}//p' "$0"
      exit 0
      ;;
    *) die "unknown argument '$arg' (expected --rebuild)" ;;
  esac
done

# One setup at a time: two concurrent runs would race on dockerd and the images.
# The lock lives on fd 9, which every daemon we start must close (9>&-), or it
# would hold the lock for as long as it runs.
SETUP_LOCK=/run/probe-setup-host.flock
lock_setup() {
  [[ $(id -u) -eq 0 ]] || return 0
  exec 9>"$SETUP_LOCK"
  flock -w 300 9 || die "another setup-host has held $SETUP_LOCK for 5 minutes"
}

build_images() {
  step 'Demo images'
  bash "$HERE/images/build-images.sh" "${REBUILD[@]}" || die 'building the demo images failed (see above)'
}

compose_flavour() {
  if docker compose version >/dev/null 2>&1; then
    echo "docker compose plugin $(docker compose version --short 2>/dev/null)"
  elif have docker-compose; then
    echo "docker-compose $(docker-compose version --short 2>/dev/null)"
  else
    echo 'none'
  fi
}

summary() {
  step 'Summary'
  info "docker engine: $(docker version -f '{{.Server.Version}}' 2>/dev/null), storage $(docker info -f '{{.Driver}}' 2>/dev/null)"
  info "compose: $(compose_flavour)"
  info "nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //'), pid $(cat "$NGINX_PID"), vhosts in $NGINX_VHOST_DIR"
  local image
  for image in probe/demo-shop:1 probe/demo-redis:1; do
    info "image $image: $(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
  done
}

T0=$(now)
lock_setup
ensure_packages
[[ $(id -u) -eq 0 ]] || die 'setup-host must run as root (it starts dockerd and writes /etc/nginx)'
ensure_engine
ensure_nginx
build_images
summary
step "Host ready in $(elapsed "$T0")"
