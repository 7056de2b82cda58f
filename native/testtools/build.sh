#!/bin/sh
# Builds the test tools (static, musl) into the cache keyed by their sources; prints the dir.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
key=$(cat "$here"/*.c "$here/build.sh" | sha256sum | cut -c1-16)
out="${RIND_CACHE:-/var/cache/rind}/testtools/$key"
if [ ! -x "$out/subreaper" ]; then
  mkdir -p "$out.tmp"
  musl-gcc -static -Os -Wall -Wextra -Werror -o "$out.tmp/subreaper" "$here/subreaper.c"
  rm -rf "$out"; mv "$out.tmp" "$out"
fi
echo "$out"
