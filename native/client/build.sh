#!/bin/sh
# Builds bin/rind's C client (static musl) into $RIND_CACHE/client/<key>/rind, key = sha256 of every file
# under native/client and proto/ (this script included), the repository path and the node binary it
# embeds; prints the binary's absolute path.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${RIND_CACHE:-/var/cache/rind}
node=$(command -v node || echo /usr/bin/node)
node=$(readlink -f "$node" 2>/dev/null || echo "$node")
key=$( (cd "$repo" && find native/client proto -type f | LC_ALL=C sort | while IFS= read -r f; do
	printf '%s\n' "$f"; sha256sum < "$f"; done; printf '%s\n%s\n' "$repo" "$node") | sha256sum | cut -c1-16)
out="$cache/client/$key"
case $out in /*) ;; *) out="$(pwd)/$out" ;; esac
if [ -x "$out/rind" ]; then echo "$out/rind"; exit 0; fi
command -v musl-gcc >/dev/null || { echo "rind: musl-gcc not found (apt-get install musl-tools)" >&2; exit 1; }
mkdir -p "$out"
tmp="$out/rind.tmp.$$"
trap 'rm -f "$tmp"; rmdir "$out" 2>/dev/null || true' EXIT
musl-gcc -static -Os -s -std=c11 -Wall -Wextra -Werror -ffunction-sections -fdata-sections -Wl,--gc-sections \
	-iquote "$repo/proto" -DRIND_REPO="\"$repo\"" -DRIND_NODE="\"$node\"" -o "$tmp" \
	"$here/main.c" "$here/proto.c" "$here/args.c" >&2
mv -f "$tmp" "$out/rind"
trap - EXIT
echo "$out/rind"
