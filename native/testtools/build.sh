#!/bin/sh
# Builds the test tools (static, musl) into the cache keyed by their sources; prints the dir.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
key=$(cat "$here"/*.c "$here/build.sh" | sha256sum | cut -c1-16)
out="${RIND_CACHE:-/var/cache/rind}/testtools/$key"
if [ ! -x "$out/recvtty" ]; then
  mkdir -p "$out.tmp"
  for t in subreaper recvtty seccomp-run; do
    musl-gcc -static -Os -Wall -Wextra -Werror -o "$out.tmp/$t" "$here/$t.c"
  done
  rm -rf "$out"; mv "$out.tmp" "$out"
fi
echo "$out"
