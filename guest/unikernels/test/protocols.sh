#!/bin/bash
# Which boot protocols QEMU's microvm takes with -kernel, with x-option-roms off and on:
# PVH (hello), the Linux boot protocol (test/probes/bzimage.S, and a real bzImage if one is
# given), multiboot v1 (test/probes/multiboot.S, a 32-bit ELF).
# Usage: test/protocols.sh [path/to/bzImage]. Last line: "protocols: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$("$here/build.sh") || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -c -o "$tmp/bz.o" "$here/test/probes/bzimage.S" && ld -Ttext=0 -e 0 --oformat=binary -o "$tmp/bzImage" "$tmp/bz.o" || exit 1
gcc -m32 -nostdlib -static -no-pie -fno-pic -Wl,--build-id=none -Wl,-Ttext=0x100000 -Wl,-z,noexecstack -Wl,-n \
	-o "$tmp/multiboot" "$here/test/probes/multiboot.S" || exit 1
pass=0 fail=0
# try NAME KERNEL APPEND WANT_STATUS WANT_LINE_REGEX MEM
try() {
	for roms in off on; do
		timeout 120 qemu-system-x86_64 -M "microvm,x-option-roms=$roms,isa-serial=on,rtc=off,acpi=off" -no-reboot \
			-nodefaults -no-user-config -display none -serial stdio -m "$6" -accel tcg -cpu max \
			-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$2" -append "$3" > "$tmp/out" 2>&1 < /dev/null
		local status=$?
		if [ "$status" = "$4" ] && grep -Eq "$5" "$tmp/out"; then
			pass=$((pass + 1)); echo "ok: $1, x-option-roms=$roms: status $status, $(grep -Em1 "$5" "$tmp/out" | cut -c1-80)"
		else
			fail=$((fail + 1)); echo "FAIL: $1, x-option-roms=$roms: status $status"; tail -c 1500 "$tmp/out"
		fi
	done
}
try "PVH ELF note (hello)" "$dir/hello" "exit=2" 5 '^exit=2$' 32M
try "Linux boot protocol (a crafted bzImage)" "$tmp/bzImage" "" 19 'real mode setup entered' 32M
try "multiboot v1 (a 32-bit ELF)" "$tmp/multiboot" "" 15 'eax=2badb002' 32M
if [ $# -ge 1 ]; then # a real kernel: it boots until it finds no root fs; panic=-1 reboots, -no-reboot exits 0
	try "Linux boot protocol ($1)" "$1" "console=ttyS0 panic=-1" 0 'Kernel panic - not syncing: VFS: Unable to mount root' 256M
fi
echo "protocols: $pass passed, $fail failed"
[ "$fail" = 0 ]
