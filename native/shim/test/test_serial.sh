#!/bin/sh
# --serial-console end to end with a stand-in VMM (fake_vmm.c): byte-exact relay both ways, output
# drained after the VMM exits, --exit-map, signals; no QEMU needed. Usage: test_serial.sh SHIM FAKE_VMM
set -u
shim=$1
fake=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
[ -x "$shim" ] && [ -x "$fake" ] || { echo "FAIL serial: no shim ($shim) or fake vmm ($fake)" >&2; exit 1; }
fails=0
checks=0
ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL serial: $*" >&2; }
fresh() { rm -rf "$t/s"; mkdir "$t/s"; }
# run STDIN MAP ARGS...: the shim's exit code in $rc, stdout in $t/out, stderr in $t/err
run() {
	in=$1 map=$2
	shift 2
	fresh
	"$shim" --state "$t/s" --serial-console --exit-map "$map" --ready-fd 5 -- "$fake" "$@" \
		<"$in" >"$t/out" 2>"$t/err" 5>"$t/ready"
	rc=$?
}
expect() { # WHAT WANT_RC
	if [ "$rc" = "$2" ] && [ "$(cat "$t/s/exit" 2>/dev/null)" = "$2" ]; then ok; else
		bad "$1: rc $rc, exit file '$(cat "$t/s/exit" 2>/dev/null)', want $2"; fi
}

head -c 200000 /dev/urandom >"$t/in"
run "$t/in" status echo 200000 0
expect "echo" 0
if cmp -s "$t/in" "$t/out"; then ok; else bad "echo: output differs from input"; fi
if [ ! -s "$t/err" ] && [ "$(cat "$t/ready")" = ok ]; then ok; else bad "echo: stderr '$(cat "$t/err")', ready '$(cat "$t/ready")'"; fi

"$fake" pattern 3000000 >"$t/want"
run /dev/null debug-exit spew 3000000 85
expect "spew debug-exit 85" 42
if cmp -s "$t/want" "$t/out"; then ok; else bad "spew: $(wc -c <"$t/out") bytes, not the 3000000 written"; fi
run /dev/null debug-exit spew 10 0
expect "debug-exit status 0" 0
run /dev/null debug-exit spew 10 1
expect "debug-exit status 1" 0
run /dev/null debug-exit spew 10 255
expect "debug-exit status 255" 127
run /dev/null debug-exit spew 10 4
expect "debug-exit even status" 255
run /dev/null status spew 10 85
expect "status 85" 85
run /dev/null status raise 11
expect "status, SIGSEGV" 139
run /dev/null debug-exit raise 6
expect "debug-exit, SIGABRT" 134

# signals: the guest cannot take them, the vm is killed
for sig in TERM:143 HUP:129 USR2:140 40:137; do
	fresh
	"$shim" --state "$t/s" --serial-console -- "$fake" sleep </dev/null >"$t/out" 2>"$t/err" &
	p=$!
	i=0
	while [ "$(cat "$t/out")" != up ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	kill -WINCH $p # ignored: no window size on a serial line
	sleep 0.2 # stdin at EOF all along: the vm runs on
	if kill -0 $p 2>/dev/null; then ok; else bad "signal ${sig%:*}: shim ended before the signal"; fi
	q=$(cat "$t/s/vmm.pid")
	kill -"${sig%:*}" $p
	wait $p
	rc=$?
	expect "signal ${sig%:*}" "${sig#*:}"
	if [ -d "/proc/$q" ]; then bad "signal ${sig%:*}: vmm $q left behind"; else ok; fi
done

echo "serial: $checks checks, $fails failures"
[ $fails -eq 0 ]
