#!/bin/sh
# Unit tests of the client's pure parts (gcc, ASan+UBSan), then a short fuzz of what it parses from the
# daemon (FUZZ_SECONDS, default 2; FUZZ_SEED default: a fresh one, printed). Non-zero on failure.
# Build output goes to a temp dir: nothing may be written under native/client (it is the build key).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
client=$(dirname "$here")
secs=${FUZZ_SECONDS:-2}
seed=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build() { # NAME SOURCES...
	name=$1
	shift
	gcc -std=c11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all \
		-iquote "$client/../../proto" -iquote "$client" -o "$tmp/$name" "$@"
}
build test_client "$here/test_client.c" "$client/proto.c" "$client/args.c"
build fuzz_proto "$client/fuzz/fuzz_proto.c" "$client/proto.c"
"$tmp/test_client"
"$tmp/fuzz_proto" -s 1 -n 2000
cd "$tmp" && ASAN_OPTIONS=abort_on_error=1 "$tmp/fuzz_proto" -s "$seed" -t "$secs" || {
	echo "fuzz: FAILED with seed $seed (rerun: FUZZ_SEED=$seed sh $0)" >&2
	[ -f fuzz-crash.bin ] && cp fuzz-crash.bin "${TMPDIR:-/tmp}/rind-client-fuzz-$seed.bin" &&
		echo "fuzz: input kept in ${TMPDIR:-/tmp}/rind-client-fuzz-$seed.bin (replay: fuzz_proto FILE)" >&2
	exit 1
}
