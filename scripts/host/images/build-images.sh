#!/usr/bin/env bash
# Usage: build-images.sh [--rebuild]
# Builds the two offline demo images without any registry: a root filesystem is
# assembled from this host's node / redis binaries and their libraries, tarred and
# fed to `docker import`. An image is rebuilt only when missing, when its sources
# changed (hash stored in the probe.source-hash label) or with --rebuild.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
# shellcheck source-path=SCRIPTDIR
source "$HERE/../lib/common.sh"

SHOP_IMAGE=probe/demo-shop:1
REDIS_IMAGE=probe/demo-redis:1
APP_DIR=$ROOT/config/templates/demo/app
HASH_LABEL=probe.source-hash
APP_UID=1000
REDIS_UID=999

REBUILD=0
for arg in "$@"; do
  case $arg in
    --rebuild) REBUILD=1 ;;
    *) die "unknown argument '$arg' (expected --rebuild)" ;;
  esac
done

# Hash of what an image is made of: these scripts, the binary's identity, and the
# files of the folders given (by relative path, so moving the checkout is not a change).
source_hash() {
  local bin=$1 dir
  shift
  {
    cat "$HERE"/*.sh
    stat -Lc '%n %s %Y' "$bin"
    for dir in "$@"; do (cd "$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum); done
  } | sha256sum | cut -c1-16
}

label_of() { docker image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$1" 2>/dev/null || true; }

# The /etc every image needs: one non-root user, and name resolution through
# /etc/hosts then Docker's DNS, so a compose service name such as `db` resolves.
base_rootfs() {
  local r=$1 user=$2 uid=$3 home=$4
  mkdir -p "$r/etc" "$r/tmp" "$r$home"
  chmod 1777 "$r/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\n%s:x:%s:%s:%s:%s:/sbin/nologin\n' \
    "$user" "$uid" "$uid" "$user" "$home" >"$r/etc/passwd"
  printf 'root:x:0:\n%s:x:%s:\n' "$user" "$uid" >"$r/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$r/etc/nsswitch.conf"
  printf '127.0.0.1 localhost\n::1 localhost\n' >"$r/etc/hosts"
  : >"$r/etc/resolv.conf"
}

# Imports rootfs folder $2 as image $1, with the --change lines that follow.
import_rootfs() {
  local image=$1 r=$2 old
  shift 2
  local changes=()
  for c in "$@"; do changes+=(--change "$c"); done
  old=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  tar --numeric-owner -C "$r" -cf - . | docker import "${changes[@]}" - "$image" >/dev/null
  # The previous build lost its tag; drop it unless a container still uses it.
  [[ -z $old ]] || docker image rm "$old" >/dev/null 2>&1 || true
}

build_shop() {
  local hash=$1 r=$2 node
  node=$(readlink -f "$(command -v node)")
  base_rootfs "$r" app "$APP_UID" /app
  bash "$HERE/copy-closure.sh" "$node" "$r" /usr/bin/node
  cp -R "$APP_DIR/." "$r/app/"
  import_rootfs "$SHOP_IMAGE" "$r" \
    "LABEL $HASH_LABEL=$hash" \
    'ENV NODE_ENV=production PORT=3000' \
    'EXPOSE 3000' \
    'WORKDIR /app' \
    "USER $APP_UID:$APP_UID" \
    'ENTRYPOINT ["/usr/bin/node", "/app/server.js"]'
}

# /data belongs to the redis user in the image, so a fresh named volume mounted
# there inherits that owner and redis can write its append-only file.
build_redis() {
  local hash=$1 r=$2
  base_rootfs "$r" redis "$REDIS_UID" /data
  chown "$REDIS_UID:$REDIS_UID" "$r/data"
  bash "$HERE/copy-closure.sh" "$(redis_binary)" "$r" /usr/bin/redis-server
  import_rootfs "$REDIS_IMAGE" "$r" \
    "LABEL $HASH_LABEL=$hash" \
    'EXPOSE 6379' \
    'WORKDIR /data' \
    "USER $REDIS_UID:$REDIS_UID" \
    'ENTRYPOINT ["/usr/bin/redis-server"]' \
    'CMD ["--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/data", "--appendonly", "yes"]'
}

# Builds image $1 with function $2 unless it is already current for hash $3.
build_if_needed() {
  local image=$1 builder=$2 hash=$3 t0
  if ((REBUILD == 0)) && [[ $(label_of "$image") == "$hash" ]]; then
    info "$image is up to date ($hash)"
    return
  fi
  t0=$(now)
  ROOTFS=$(mktemp -d /tmp/probe-rootfs.XXXXXX)
  "$builder" "$hash" "$ROOTFS"
  rm -rf "$ROOTFS"
  info "built $image ($hash) in $(elapsed "$t0")"
}

ROOTFS=
trap '[[ -z $ROOTFS ]] || rm -rf "$ROOTFS"' EXIT

have node || die 'node is not installed: the demo shop image is built from the host node binary'
[[ -n $(redis_binary) ]] || die 'redis-server is not installed (Debian package redis-tools): run setup-host'
[[ -f $APP_DIR/server.js ]] || die "the demo app is missing: $APP_DIR/server.js"

build_if_needed "$SHOP_IMAGE" build_shop "$(source_hash "$(command -v node)" "$APP_DIR")"
build_if_needed "$REDIS_IMAGE" build_redis "$(source_hash "$(redis_binary)")"
