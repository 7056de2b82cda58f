#!/bin/bash
# Boots the unikernels in QEMU microvm (TCG) and checks hello's output byte for byte and the
# exit-code mapping (QEMU exits (code << 1) | 1 through isa-debug-exit), and web's failures.
# Usage: test/boot.sh. Last line: "boot: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$("$here/build.sh") || exit 1
qemu=(qemu-system-x86_64 -M microvm,x-option-roms=off,isa-serial=on,rtc=off,acpi=off -no-reboot -nodefaults
	-no-user-config -display none -serial stdio -m 32M -accel tcg -cpu max)
exitdev=(-device isa-debug-exit,iobase=0xf4,iosize=0x04)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# case NAME KERNEL APPEND WANT_STATUS WANT_OUTPUT [extra qemu args...]
case_() {
	local name=$1 kernel=$2 append=$3 want_status=$4 want=$5
	shift 5
	timeout 30 "${qemu[@]}" "$@" -kernel "$dir/$kernel" -append "$append" > "$tmp/out" 2> "$tmp/err" < /dev/null
	local status=$?
	printf '%s\n' "$want" > "$tmp/want" # $(...) took the one final newline
	if [ "$status" = "$want_status" ] && cmp -s "$tmp/out" "$tmp/want"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $name: status $status (want $want_status)"
		diff <(od -c "$tmp/want") <(od -c "$tmp/out") | head -20
		cat "$tmp/err"
	fi
}

h='hello from rind unikernel\n'
case_ "hello, no arguments" hello '' 1 "$(printf "${h}argc=0\nexit=0\n")" "${exitdev[@]}"
case_ "hello exit=1" hello 'exit=1' 3 "$(printf "${h}argc=1\nargv[0]=exit=1\nexit=1\n")" "${exitdev[@]}"
case_ "hello exit=42, quoting" hello '  one "two  words" th"re"e  exit=42 ""' 85 \
	"$(printf "${h}argc=5\nargv[0]=one\nargv[1]=two  words\nargv[2]=three\nargv[3]=exit=42\nargv[4]=\nexit=42\n")" "${exitdev[@]}"
case_ "hello exit=127" hello 'exit=127' 255 "$(printf "${h}argc=1\nargv[0]=exit=127\nexit=127\n")" "${exitdev[@]}"
case_ "hello, last exit= wins, odd bytes" hello 'exit=3 %s%d\\x é exit=7' 15 \
	"$(printf "${h}"; printf '%s\n' argc=4 argv[0]=exit=3 'argv[1]=%s%d\\x' argv[2]=é argv[3]=exit=7 exit=7)" "${exitdev[@]}"
case_ "hello exit=128 (bad)" hello 'exit=128' 241 "$(printf 'hello: bad exit= (want 0..127): 128\n')" "${exitdev[@]}"
long=$(head -c 5000 /dev/zero | tr '\0' 'x')
case_ "hello, a command line past 4095 bytes" hello "$long" 1 \
	"$(printf "${h}argc=1\nargv[0]=%s\ncmdline truncated\nexit=0\n" "$(head -c 4095 /dev/zero | tr '\0' 'x')")" "${exitdev[@]}"
case_ "hello, 70 words" hello "$(seq -s ' ' 1 70)" 1 \
	"$(printf "${h}argc=64\n"; for i in $(seq 0 63); do printf 'argv[%d]=%d\n' "$i" $((i + 1)); done; printf 'argv truncated\nexit=0\n')" "${exitdev[@]}"
case_ "hello without isa-debug-exit: triple fault, -no-reboot exits 0" hello 'exit=5' 0 \
	"$(printf "${h}argc=1\nargv[0]=exit=5\nexit=5\n")"
case_ "web, bad ip=" web 'ip=10.0.0.300/24' 241 "$(printf 'rind web unikernel\nweb: bad ip= (want A.B.C.D/N, N 1..32): 10.0.0.300/24\n')" "${exitdev[@]}"
case_ "web, no ip=" web 'gw=10.0.0.1' 241 "$(printf 'rind web unikernel\nweb: missing ip=A.B.C.D/N\n')" "${exitdev[@]}"
# no NIC: the clock line's rate varies, so compare the other lines only
timeout 30 "${qemu[@]}" "${exitdev[@]}" -kernel "$dir/web" -append 'ip=10.0.0.2/24' > "$tmp/out" 2>&1 < /dev/null
status=$?
if [ $status = 243 ] && grep -qx 'web: no virtio-net device among 0 virtio_mmio.device= entries' "$tmp/out" &&
	grep -Eqx 'clock: tsc [0-9]+ kHz' "$tmp/out"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL web, no NIC: status $status"; cat "$tmp/out"; fi

echo "boot: $pass passed, $fail failed"
[ "$fail" = 0 ]
