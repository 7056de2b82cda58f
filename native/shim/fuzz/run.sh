#!/bin/sh
# Builds the frame-parser fuzz harness with ASan+UBSan and runs it for a bounded time
# (FUZZ_SECONDS, default 12, capped at 20; FUZZ_SEED default: a fresh one, printed). Non-zero on failure.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shim=$(dirname "$here")
secs=${FUZZ_SECONDS:-12}
[ "$secs" -le 20 ] 2>/dev/null || secs=20
seed=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -std=c11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all \
	-iquote "$shim/../../proto" -iquote "$shim" -o "$tmp/fuzz_frame_parse" "$here/fuzz_frame_parse.c" "$shim/frame_parse.c"
# a fixed seed first (reproducible), then a fresh one for the rest of the time budget
"$tmp/fuzz_frame_parse" -s 1 -n 500
cd "$tmp" && ASAN_OPTIONS=abort_on_error=1 "$tmp/fuzz_frame_parse" -s "$seed" -t "$secs" || {
	echo "fuzz: FAILED with seed $seed (rerun: FUZZ_SEED=$seed sh $0)" >&2
	if [ -f fuzz-crash.bin ]; then
		cp fuzz-crash.bin "${TMPDIR:-/tmp}/rind-fuzz-crash-$seed.bin" &&
			echo "fuzz: input kept in ${TMPDIR:-/tmp}/rind-fuzz-crash-$seed.bin (replay: fuzz_frame_parse FILE)" >&2
	fi
	exit 1
}
