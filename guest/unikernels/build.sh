#!/bin/sh
# Builds rind's test unikernels (freestanding C, PVH ELF): hello and web.
# Cached outside the repo: $RIND_CACHE/unikernels/<key>/{hello,web}; prints that directory only.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${RIND_CACHE:-/var/cache/rind}

# key: every file of guest/unikernels (this script included), names and contents
key=$(cd "$repo" && find guest/unikernels -type f | LC_ALL=C sort |
	while read -r f; do echo "$f"; cat "$f"; done | sha256sum | cut -c1-16)
out="$cache/unikernels/$key"
if [ -f "$out/hello" ] && [ -f "$out/web" ]; then echo "$out"; exit 0; fi

mkdir -p "$cache/unikernels"
tmp=$(mktemp -d "$cache/unikernels/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

cflags="-std=c11 -O2 -g0 -ffreestanding -nostdlib -static -fno-pic -no-pie -fno-stack-protector
	-mno-red-zone -mgeneral-regs-only -mcmodel=small -fno-asynchronous-unwind-tables
	-fcf-protection=none -Wall -Wextra -Werror"
ldflags="-Wl,-T,$here/boot/link.ld -Wl,--build-id=none -Wl,-z,noexecstack -Wl,-n"
common="$here/boot/entry.S $here/hw/kernel.c $here/pure/string.c $here/pure/fmt.c $here/pure/cmdline.c"
# shellcheck disable=SC2086
gcc $cflags $ldflags -o "$tmp/hello" $common "$here/hello.c" >&2
# shellcheck disable=SC2086
gcc $cflags $ldflags -o "$tmp/web" $common "$here/hw/virtio_net.c" "$here/hw/fwcfg.c" "$here/pure/net.c" \
	"$here/pure/http.c" "$here/web.c" >&2
strip "$tmp/hello" "$tmp/web" >&2

# atomic; a concurrent build that got there first wins, and its output is the same
mv -T "$tmp" "$out" 2>/dev/null || rm -rf "$tmp"
trap - EXIT INT TERM
echo "$out"
