#!/bin/sh
# Builds rind-shim (static musl) into $RIND_CACHE/shim/<key>/rind-shim, key = sha256 of every file
# under native/shim and proto/ (this script included); prints the binary's absolute path.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
native=$(dirname "$here")
cache=${RIND_CACHE:-/var/cache/rind}
key=$(cd "$native/.." && find native/shim proto -type f | LC_ALL=C sort | while IFS= read -r f; do
	printf '%s\n' "$f"; sha256sum < "$f"; done | sha256sum | cut -c1-16)
out="$cache/shim/$key"
case $out in /*) ;; *) out="$(pwd)/$out" ;; esac
if [ -x "$out/rind-shim" ]; then echo "$out/rind-shim"; exit 0; fi
command -v musl-gcc >/dev/null || { echo "rind: musl-gcc not found (apt-get install musl-tools)" >&2; exit 1; }
mkdir -p "$out"
tmp="$out/rind-shim.tmp.$$"
trap 'rm -f "$tmp"; rmdir "$out" 2>/dev/null || true' EXIT
musl-gcc -static -Os -s -Wall -Wextra -Werror -ffunction-sections -fdata-sections -Wl,--gc-sections \
	-iquote "$native/../proto" -o "$tmp" \
	"$here/main.c" "$here/state.c" "$here/proc.c" "$here/jail.c" "$here/vmm.c" "$here/relay.c" "$here/serial.c" \
	"$here/frame_parse.c" "$here/tty.c" "$here/sock.c" "$here/args.c" "$here/nsbind.c" "$here/shimroot.c" >&2
mv -f "$tmp" "$out/rind-shim"
trap - EXIT
echo "$out/rind-shim"
