#!/bin/sh
# Unit tests of the agent's pure parts (fields, requests and resource keys, the container table's ids, mount specs and destinations, network values, security keys, namespace keys):
# gcc with ASan+UBSan, plain C programs, no VM; prints one summary line, exits non-zero on any failure.
# Build output goes to a temp dir: nothing may be written under guest/agent (it is the initramfs cache key).
set -u
here=$(cd "$(dirname "$0")" && pwd)
agent=$(dirname "$here")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
programs=0 failed=0 checks=0

run() { # NAME SOURCES... (relative to guest/agent)
	name=$1
	shift
	programs=$((programs + 1))
	srcs=""
	for s in "$@"; do srcs="$srcs $agent/$s"; done
	# shellcheck disable=SC2086
	if ! gcc -std=c11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all \
		-I"$agent" -I"$here" -o "$tmp/$name" "$here/$name.c" $srcs; then
		echo "$name: build failed" >&2
		failed=$((failed + 1))
		return
	fi
	out=$("$tmp/$name") || failed=$((failed + 1))
	n=$(printf '%s\n' "$out" | sed -n 's/^.*: \([0-9][0-9]*\) checks.*$/\1/p' | tail -n 1)
	checks=$((checks + ${n:-0}))
	[ -n "$n" ] || { echo "$name: no result line" >&2; failed=$((failed + 1)); }
}

run test_fields fields.c
run test_request request.c cgspec.c secspec.c nsspec.c fields.c err.c
run test_nsspec nsspec.c fields.c err.c
run test_secspec secspec.c fields.c err.c
run test_ctable ctable.c err.c
run test_mountspec mountspec.c fields.c err.c
run test_resolve resolve.c err.c
run test_netparse netparse.c fields.c err.c

if [ "$failed" -eq 0 ]; then
	echo "agent unit tests: $programs programs, $checks checks, all passed"
else
	echo "agent unit tests: $programs programs, $checks checks, $failed program(s) FAILED"
	exit 1
fi
