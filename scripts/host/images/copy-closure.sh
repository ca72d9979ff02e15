#!/usr/bin/env bash
# Usage: copy-closure.sh BINARY ROOTFS [DEST]
# Copies BINARY (symlinks followed) to ROOTFS/DEST (default: its own path) together
# with every shared library ldd resolves for it and the dynamic loader, each at the
# path the loader will look for it, so the binary runs in an otherwise empty image.
set -euo pipefail

die() {
  printf -- ' !     error: %s\n' "$*" >&2
  exit 1
}

[[ $# -ge 2 && $# -le 3 ]] || die 'usage: copy-closure.sh BINARY ROOTFS [DEST]'
src=$(readlink -f "$1") || die "cannot resolve binary '$1'"
rootfs=$2
dest=${3:-$src}
[[ -x $src && -f $src ]] || die "'$1' is not an executable file"
[[ -d $rootfs ]] || die "rootfs folder '$rootfs' does not exist"

install -D -m 0755 "$src" "$rootfs$dest"

# A static binary has no closure ("not a dynamic executable").
libs=$(ldd "$src" 2>&1) || {
  grep -q 'not a dynamic executable' <<<"$libs" && exit 0
  die "ldd $src failed: $libs"
}
if grep -q 'not found' <<<"$libs"; then
  die "$src needs libraries this host lacks: $(grep 'not found' <<<"$libs" | tr -s ' \t\n' ' ')"
fi

# Lines look like "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)" or, for the
# loader, "/lib64/ld-linux-x86-64.so.2 (0x...)"; the vdso has no file.
awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$libs" | while read -r lib; do
  install -D -m 0755 "$(readlink -f "$lib")" "$rootfs$lib"
done
