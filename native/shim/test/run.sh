#!/bin/sh
# Unit tests of the shim's guest->host frame parser (gcc, ASan+UBSan); exits non-zero on failure.
# Build output goes to a temp dir: nothing may be written under native/shim (it is the build key).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shim=$(dirname "$here")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -std=c11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all \
	-I"$shim/../common" -I"$shim" -o "$tmp/test_frame_parse" \
	"$here/test_frame_parse.c" "$shim/frame_parse.c"
"$tmp/test_frame_parse"
