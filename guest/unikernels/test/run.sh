#!/bin/sh
# Unit tests of the unikernels' pure code (command line, HTTP, ARP, IPv4, ICMP, TCP) on the
# host, under ASan and UBSan, ending in a seeded fuzz loop. Usage: test/run.sh [seed [rounds]].
# Last line: "unikernels: N passed, N failed"; exits non-zero on any failure.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
gcc -std=c11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -Wall -Wextra -Werror \
	-o "$tmp/unit" "$here/test/unit.c" "$here/pure/cmdline.c" "$here/pure/fmt.c" "$here/pure/http.c" "$here/pure/net.c"
ASAN_OPTIONS=detect_leaks=1 "$tmp/unit" "$@"
