#!/bin/sh
# Builds the rind guest agent (static musl) and its initramfs (uncompressed newc cpio).
# Cached outside the repo: $RIND_CACHE/initramfs/<key>/initramfs.cpio; prints that path only.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${RIND_CACHE:-/var/cache/rind}

# key: every file of guest/agent (this script included) and the shared frame header
key=$(cd "$repo" && { find guest/agent -type f | LC_ALL=C sort; echo proto/frame.h; echo proto/limits.h; } |
	while read -r f; do echo "$f"; cat "$f"; done | sha256sum | cut -c1-16)
out="$cache/initramfs/$key"
if [ -f "$out/initramfs.cpio" ]; then echo "$out/initramfs.cpio"; exit 0; fi

mkdir -p "$out"
tmp=$(mktemp -d "$out/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

musl-gcc -static -Os -Wall -Wextra -Werror -s -o "$tmp/init" "$here"/*.c >&2

# newc writer, so that the archive (with /dev/console) needs no root and is reproducible:
# "070701", 13 hex fields, the NUL-terminated name padded to 4 bytes, the data padded to 4.
ino=0
pad() { n=$(( (4 - $1 % 4) % 4 )); [ "$n" -eq 0 ] || head -c "$n" /dev/zero; }
entry() { # name mode(octal) nlink size rdevmajor rdevminor [file]
	ino=$((ino + 1))
	namesize=$((${#1} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$ino" "$(($2))" 0 0 "$3" 0 "$4" 0 0 "$5" "$6" "$namesize" 0
	printf '%s\000' "$1"
	pad $((110 + namesize))
	if [ $# -ge 7 ]; then cat "$7"; pad "$4"; fi
}
{
	for d in dev proc sys run; do entry "$d" 040755 2 0 0 0; done
	entry tmp 041777 2 0 0 0
	entry dev/console 020600 1 0 5 1
	entry init 0100755 1 "$(wc -c < "$tmp/init")" 0 0 "$tmp/init"
	entry TRAILER!!! 0 1 0 0 0
} > "$tmp/initramfs.cpio"

cp "$tmp/init" "$tmp/rind-agent"
mv -f "$tmp/rind-agent" "$out/rind-agent"
mv -f "$tmp/initramfs.cpio" "$out/initramfs.cpio"
echo "$out/initramfs.cpio"
