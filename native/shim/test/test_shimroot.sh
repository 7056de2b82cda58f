#!/bin/sh
# --shim-root end to end with a stand-in VMM (fake_vmm.c under --serial-console / --vmm-only) and a
# stand-in console socket and exec port (sock_peer.c): the waitable pid's mount namespace is
# rooted in DIR (/proc/<shim>/root, nsenter -t <shim> -m), the shim still writes its exit file and
# exits with the right status, its /dev/null is the host's, the host can still unmount DIR, a
# failure is one line on the ready fd with no VMM left. Needs root; skipped otherwise.
# Usage: test_shimroot.sh SHIM FAKE_VMM SOCK_PEER
set -u
shim=$1
fake=$2
peer=$3
if [ "$(id -u)" != 0 ]; then echo "shimroot: skipped (not root)"; exit 0; fi
t=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	umount "$t/tmpfs" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
fails=0
checks=0
ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL shimroot: $*" >&2; }
check() { # WHAT COMMAND...
	w=$1
	shift
	if "$@"; then ok; else bad "$w"; fi
}
fresh() { rm -rf "$t/s" "$t/out" "$t/ready" "$t/peer.out"; mkdir "$t/s"; } # no stale file a wait could see
wait_for() { # FILE LINE: up to 5 s for FILE to hold LINE
	i=0
	while ! grep -qxF "$2" "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}
expect_exit() { # WHAT RC WANT
	if [ "$2" = "$3" ] && [ "$(cat "$t/s/exit" 2>/dev/null)" = "$3" ]; then ok; else
		bad "$1: rc $2, exit file '$(cat "$t/s/exit" 2>/dev/null)', want $3"; fi
}

# a rootfs: a marker, a busybox for nsenter to run, a /dev/null that is a plain file
r=$t/rootfs
mkdir -p "$r/bin" "$r/dev" "$r/etc"
echo in-the-rootfs >"$r/marker"
: >"$r/dev/null"
echo rootfs-passwd >"$r/etc/passwd"
bb=$(command -v busybox || true)
if [ -n "$bb" ] && file -L "$bb" 2>/dev/null | grep -q 'statically linked'; then
	cp "$bb" "$r/bin/busybox"
	for a in cat ls sh; do ln -s busybox "$r/bin/$a"; done
else
	bb=
	echo "shimroot: no static busybox: nsenter checks skipped"
fi

# 1. the serial-console shim: its namespace is the rootfs, from the host's view and for a joiner
fresh
"$shim" --state "$t/s" --serial-console --ready-fd 5 --shim-root "$r" -- "$fake" sleep \
	</dev/null >"$t/out" 2>&1 5>"$t/ready" &
p=$!
pids="$pids $p"
wait_for "$t/out" up
check "ready ok" [ "$(cat "$t/ready")" = ok ]
want=$(ls -A "$r" | sort | tr '\n' ' ')
got=$(ls -A "/proc/$p/root/" | sort | tr '\n' ' ')
check "/proc/<shim>/root is the rootfs ('$got', want '$want')" [ "$got" = "$want" ]
check "/proc/<shim>/root/etc/passwd is the rootfs's" grep -qx rootfs-passwd "/proc/$p/root/etc/passwd"
check "/proc/<shim>/cwd is its root" [ "$(ls -A "/proc/$p/cwd/" | sort | tr '\n' ' ')" = "$want" ]
check "one mount in the shim's namespace" [ "$(wc -l <"/proc/$p/mountinfo")" = 1 ]
if [ -n "$bb" ]; then
	check "nsenter -t <shim> -m cat /marker" [ "$(nsenter -t "$p" -m cat /marker 2>&1)" = in-the-rootfs ]
	nsenter -t "$p" -m sh -c 'echo copied-in >/copied'
	check "a write through the shim's namespace lands in the rootfs" grep -qx copied-in "$r/copied"
	check "the host's files are not there" [ "$(nsenter -t "$p" -m cat /etc/passwd 2>&1)" = rootfs-passwd ]
	rm -f "$r/copied"
fi
check "the vmm's root is untouched (the host's /)" [ -e "/proc/$(cat "$t/s/vmm.pid")/root$t/s/vmm.pid" ]
check "the host's DIR unchanged" [ "$(ls -A "$r" | sort | tr '\n' ' ')" = "$want" ]
kill -TERM $p
wait $p
expect_exit "serial, SIGTERM" $? 143
check "shim.log written after the pivot" grep -q "signal 15 from pid .*: killing the vm" "$t/s/shim.log"

# 2. the VMM's own exit status, --serial-console and --vmm-only
fresh
"$shim" --state "$t/s" --serial-console --shim-root "$r" -- "$fake" spew 10 85 </dev/null >/dev/null 2>&1
expect_exit "serial, vmm exits 85" $? 85
fresh
"$shim" --state "$t/s" --vmm-only --shim-root "$r" -- "$fake" raise 11 </dev/null >/dev/null 2>&1
expect_exit "vmm-only, SIGSEGV" $? 139

# 3. --console-socket (connected before the pivot): stdio goes to the host's /dev/null, not the rootfs's
fresh
"$peer" "$t/console.sock" >"$t/peer.out" &
cp=$!
pids="$pids $cp"
wait_for "$t/peer.out" listening
"$shim" --state "$t/s" --serial-console --console-socket "$t/console.sock" --ready-fd 5 --shim-root "$r" \
	-- "$fake" sleep </dev/null >/dev/null 2>&1 5>"$t/ready" &
p=$!
pids="$pids $p"
wait_for "$t/peer.out" "got 1 fds"
sleep 0.2 # the shim points its stdio at /dev/null right after `ok`
check "console: ready ok" [ "$(cat "$t/ready")" = ok ]
check "console: the pty master was sent" grep -qx "got 1 fds" "$t/peer.out"
check "console: fd 0 is the host's /dev/null (char 1,3)" [ "$(stat -L -c %F:%t,%T "/proc/$p/fd/0")" = "character special file:1,3" ]
check "console: the rootfs's /dev/null untouched" test -f "$r/dev/null" -a ! -s "$r/dev/null"
kill -40 $p
wait $p
expect_exit "console, control signal" $? 137
kill $cp
wait $cp 2>/dev/null

# 4. exec mode (a pod member's waitable pid): the port connected before the pivot
fresh
"$peer" "$t/port.sock" >"$t/peer.out" &
cp=$!
pids="$pids $cp"
wait_for "$t/peer.out" listening
"$shim" --exec-socket "$t/port.sock" --state "$t/s" --ready-fd 5 --shim-root "$r" </dev/null >/dev/null 2>&1 5>"$t/ready" &
p=$!
pids="$pids $p"
i=0
while [ ! -s "$t/ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
check "exec: ready ok ($(cat "$t/ready"), $(tail -1 "$t/s/shim.log"))" [ "$(cat "$t/ready")" = ok ]
check "exec: /proc/<shim>/root is the rootfs" grep -qx in-the-rootfs "/proc/$p/root/marker"
kill $cp # the port goes away: the shim ends, 137, through its state dir fd
wait $cp 2>/dev/null
wait $p
expect_exit "exec, port gone" $? 137

# 5. the host can still unmount DIR while the shim sits in it
mkdir "$t/tmpfs"
mount -t tmpfs rind-test "$t/tmpfs"
echo m >"$t/tmpfs/marker"
fresh
"$shim" --state "$t/s" --serial-console --shim-root "$t/tmpfs" -- "$fake" sleep </dev/null >"$t/out" 2>&1 &
p=$!
pids="$pids $p"
wait_for "$t/out" up
if umount "$t/tmpfs"; then ok; else bad "the host cannot unmount the shim's root"; fi
check "the shim keeps its view" [ -e "/proc/$p/root/marker" ]
kill -40 $p
wait $p
expect_exit "tmpfs root, control signal" $? 137

# 6. a failing pivot: one line on the ready fd, exit 1, no VMM left
fresh
"$shim" --state "$t/s" --serial-console --ready-fd 5 --shim-root "$t/nonexistent" -- "$fake" sleep \
	</dev/null >/dev/null 2>&1 5>"$t/ready"
rc=$?
want="error: shim root: bind $t/nonexistent: No such file or directory"
if [ $rc = 1 ] && [ "$(cat "$t/ready")" = "$want" ]; then ok; else bad "failing pivot: rc $rc, ready '$(cat "$t/ready")'"; fi
q=$(cat "$t/s/vmm.pid" 2>/dev/null)
check "failing pivot: a vmm was started ($q) and is gone" test -n "$q" -a ! -d "/proc/$q"

echo "shimroot: $checks checks, $fails failures"
[ $fails -eq 0 ]
