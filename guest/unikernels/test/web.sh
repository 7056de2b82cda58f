#!/bin/bash
# Runs the web unikernel on a tap device in a network namespace of its own (needs root,
# ip, curl; nc and nmap are used when present), and checks it: ping, N sequential curls
# (default 200), a port scan, and curl again. Prints the boot time (QEMU spawn to the first
# HTTP answer) and the QEMU process's RSS. Cleans up after itself.
# Usage: test/web.sh [count [extra QEMU args...]], e.g. test/web.sh 50 -global
# virtio-mmio.force-legacy=false for the modern (version 2) transport.
# Last line: "web: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-200}
shift $(( $# > 0 ? 1 : 0 ))
dir=$("$here/build.sh") || exit 1
ns=rind-uk-$$
mac=52:54:00:12:34:56
guest=10.77.0.2
log=$(mktemp)
qpid=
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -f "$log"
}
trap cleanup EXIT INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
X() { ip netns exec "$ns" "$@"; }

ip netns add "$ns" || exit 1
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add dev tap0 mode tap
ip -n "$ns" addr add 10.77.0.1/24 dev tap0
ip -n "$ns" link set tap0 up
# a static neighbour entry, so that the boot time measured is not ARP's retry timer
ip -n "$ns" neigh add "$guest" lladdr "$mac" dev tap0 nud permanent

t0=$(date +%s%N)
ip netns exec "$ns" qemu-system-x86_64 -M microvm,x-option-roms=off,isa-serial=on,rtc=off,acpi=off -no-reboot -nodefaults \
	-no-user-config -display none -serial stdio -m 32M -accel tcg -cpu max \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$dir/web" \
	-netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device virtio-net-device,netdev=n0,mac=$mac \
	-append "ip=$guest/24 gw=10.77.0.1" "$@" > "$log" 2>&1 < /dev/null &
qpid=$! # ip netns exec execs QEMU: the same process
first=
for _ in $(seq 200); do
	if X curl -s -m 1 --connect-timeout 0.05 -o /dev/null "http://$guest:8080/"; then first=$(date +%s%N); break; fi
	kill -0 "$qpid" 2>/dev/null || break
done
if [ -n "$first" ]; then ok "first HTTP answer $(( (first - t0) / 1000000 )) ms after QEMU was spawned"; else bad "no HTTP answer"; cat "$log"; exit 1; fi
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$qpid/status")
echo "qemu rss after the first answer: $((rss / 1024)) MiB ($rss kB)"

if X ping -c 5 -i 0.2 -W 1 "$guest" > /dev/null; then ok "ping"; else bad "ping"; fi
X ip neigh del "$guest" dev tap0 && X ping -c 1 -W 1 "$guest" > /dev/null && ok "ARP: the guest answers a request" || bad "ARP"

body='hello from rind web unikernel'
good=0
start=$(date +%s%N)
for _ in $(seq "$count"); do
	[ "$(X curl -s -m 5 "http://$guest:8080/")" = "$body" ] && good=$((good + 1))
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$good" = "$count" ]; then ok "$count sequential curls in $ms ms"; else bad "$good of $count curls answered"; fi

hdr=$(X curl -s -m 5 -D - -o /dev/null "http://$guest:8080/")
echo "$hdr" | grep -q '^HTTP/1.1 200 OK' && echo "$hdr" | grep -qi '^Content-Length: 30' &&
	echo "$hdr" | grep -qi '^Connection: close' && ok "response headers" || bad "response headers: $hdr"
[ "$(X curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$guest:8080/missing")" = 404 ] && ok "404" || bad "404"
[ "$(X curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST -d x "http://$guest:8080/")" = 405 ] && ok "405" || bad "405"
[ "$(X curl -s -m 5 -o /dev/null -w '%{http_code}' --http1.0 "http://$guest:8080/")" = 200 ] && ok "HTTP/1.0" || bad "HTTP/1.0"

if command -v nc > /dev/null; then
	open=$(X nc -z -w 1 "$guest" 1-100 2>&1 | wc -l)
	X nc -z -w 1 "$guest" 8080 && [ "$open" = 0 ] && ok "nc -z: 1-100 refused, 8080 open" || bad "nc -z"
fi
if command -v nmap > /dev/null; then
	out=$(X nmap -n -Pn -sS -T4 -p 1-1024,8080 "$guest")
	echo "$out" | grep -q '^8080/tcp open' && echo "$out" | grep -q '1024 closed tcp ports (reset)' &&
		ok "nmap SYN scan: 1024 closed (reset), 8080 open" || bad "nmap -sS: $out"
	out=$(X nmap -n -Pn -sT -p 1-1024,8080 "$guest")
	echo "$out" | grep -q '^8080/tcp open' && ok "nmap connect scan" || bad "nmap -sT: $out"
	for t in sF sX sN sA; do X nmap -n -Pn -$t -T4 -p 1-100,8080 "$guest" > /dev/null; done
	X nmap -n -Pn -O --osscan-guess -p 22,8080 "$guest" > /dev/null 2>&1
	ok "nmap FIN, Xmas, NULL, ACK scans and OS detection survived"
fi
# stray traffic: a UDP datagram, a broadcast ping, a half-open connection left behind
X bash -c "echo x > /dev/udp/$guest/9" 2>/dev/null
X ping -b -c 1 -W 1 10.77.0.255 > /dev/null 2>&1
X bash -c "exec 3<>/dev/tcp/$guest/8080; sleep 0.2" 2>/dev/null

good=0
for _ in $(seq 20); do [ "$(X curl -s -m 5 "http://$guest:8080/")" = "$body" ] && good=$((good + 1)); done
[ "$good" = 20 ] && ok "20 curls after the scans" || bad "$good of 20 curls after the scans"
kill -0 "$qpid" 2>/dev/null && ok "QEMU still running" || bad "QEMU exited"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$qpid/status")
echo "qemu rss at the end: $((rss / 1024)) MiB ($rss kB)"
echo "--- serial"
cat "$log"
echo "web: $pass passed, $fail failed"
[ "$fail" = 0 ]
