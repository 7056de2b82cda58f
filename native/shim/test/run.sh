#!/bin/sh
# Unit tests of the shim's pure parts: the guest->host frame parser and the command line
# (gcc, ASan+UBSan); then --serial-console end to end on the real (musl, build.sh) binary with a
# stand-in VMM (test_serial.sh, no QEMU), and with it, as root: the jail (test_jail.sh),
# --bind-into/--unbind-in (test_nsbind.sh), --shim-root (test_shimroot.sh, with sock_peer.c as
# the console socket and exec port); exits non-zero on failure.
# Build output goes to a temp dir: nothing may be written under native/shim (it is the build key).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
shim=$(dirname "$here")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build() { # NAME SOURCES...
	name=$1
	shift
	gcc -std=c11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all \
		-iquote "$shim/../../proto" -iquote "$shim" -o "$tmp/$name" "$@"
}
build test_frame_parse "$here/test_frame_parse.c" "$shim/frame_parse.c"
build test_args "$here/test_args.c" "$shim/args.c"
"$tmp/test_frame_parse"
"$tmp/test_args"
gcc -std=c11 -O1 -g -Wall -Wextra -Werror -o "$tmp/fake_vmm" "$here/fake_vmm.c"
gcc -std=c11 -O1 -g -Wall -Wextra -Werror -o "$tmp/sock_peer" "$here/sock_peer.c"
bin=$(sh "$shim/build.sh")
sh "$here/test_serial.sh" "$bin" "$tmp/fake_vmm"
sh "$here/test_jail.sh" "$bin" "$tmp/fake_vmm"
sh "$here/test_nsbind.sh" "$bin" "$tmp/fake_vmm"
sh "$here/test_shimroot.sh" "$bin" "$tmp/fake_vmm" "$tmp/sock_peer"
