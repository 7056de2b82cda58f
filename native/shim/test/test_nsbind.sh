#!/bin/sh
# --bind-into / --unbind-in end to end with a stand-in VMM (fake_vmm.c `sleep` under
# --serial-console): host dirs and files bound into a running VMM's mount namespace, jailed
# (--jail-root) and not (a plain private namespace from --bind); seen through /proc/<vmm>/root,
# never on the host; read-only, the jail's nosuid,nodev,noexec inherited, nested binds, the undo
# on failure, the refusals. Needs root; skipped otherwise. Usage: test_nsbind.sh SHIM FAKE_VMM
set -u
shim=$1
fake=$2
if [ "$(id -u)" != 0 ]; then echo "nsbind: skipped (not root)"; exit 0; fi
t=$(mktemp -d)
vmm_shim=
cleanup() {
	[ -n "$vmm_shim" ] && kill -40 "$vmm_shim" 2>/dev/null && wait "$vmm_shim" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
fails=0
checks=0
ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL nsbind: $*" >&2; }
check() { # WHAT COMMAND...: the command succeeds
	w=$1
	shift
	if "$@"; then ok; else bad "$w"; fi
}

mkdir -p "$t/src/mnt" "$t/src2"
echo rootfs >"$t/src/marker"
echo inner >"$t/src2/inner"
echo file >"$t/file"
cp "$fake" "$t/fake_vmm"

# start_vmm NAME SHIM_ARGS...: a fake VMM (serial line: "up") in state dir $t/NAME, with the
# share's mount points made beforehand on the host, as the runtime does
start_vmm() {
	st=$t/$1
	shift
	mkdir -p "$st/share/rootfs" "$st/share/c/x/rootfs" "$st/share/c/x/binds" "$st/share/c/x/undo"
	: >"$st/share/c/x/binds/0"
	"$shim" --state "$st" --serial-console "$@" -- "$t/fake_vmm" sleep </dev/null >"$st.out" 2>&1 &
	vmm_shim=$!
	i=0
	while [ "$(cat "$st.out" 2>/dev/null)" != up ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	q=$(cat "$st/vmm.pid" 2>/dev/null)
	[ -n "$q" ] || bad "no vmm started: $(cat "$st.out")"
}
stop_vmm() {
	kill -40 "$vmm_shim"
	wait "$vmm_shim"
	vmm_shim=
}

# the sequence on one VMM ($q, state dir $st); WHAT names the case
run_case() {
	what=$1
	c=$st/share/c/x
	in=/proc/$q/root
	"$shim" --bind-into "$q" --bind "$t/src" "$c/rootfs" --bind-ro "$t/src2" "$c/rootfs/mnt" \
		--bind-ro "$t/file" "$c/binds/0" 2>"$t/err"
	rc=$?
	if [ $rc = 0 ] && [ ! -s "$t/err" ]; then ok; else bad "$what: bind-into rc $rc: $(cat "$t/err")"; fi
	check "$what: the rootfs is in the VMM's namespace" grep -qx rootfs "$in$c/rootfs/marker"
	check "$what: nested bind (DST inside an earlier one)" grep -qx inner "$in$c/rootfs/mnt/inner"
	check "$what: a file bind" grep -qx file "$in$c/binds/0"
	check "$what: the rootfs is not on the host" [ ! -e "$c/rootfs/marker" ]
	check "$what: the file bind is not on the host" [ ! -s "$c/binds/0" ]
	check "$what: nested dir empty on the host" [ -z "$(ls -A "$t/src/mnt")" ]
	if (echo w >"$in$c/rootfs/written") 2>/dev/null && grep -qx w "$t/src/written"; then ok; else
		bad "$what: --bind is not writable through to the source"; fi
	rm -f "$t/src/written"
	if (echo w >"$in$c/rootfs/mnt/x") 2>/dev/null; then bad "$what: --bind-ro is writable"; else ok; fi
	if (echo w >"$in$c/binds/0") 2>/dev/null; then bad "$what: a --bind-ro file is writable"; else ok; fi
	# the mount point is gone on the host side only, the host's own view never had it
	check "$what: no mount in the host's namespace" sh -c "! grep -q ' $c/' /proc/self/mountinfo"

	# a failure: the binds already moved are undone, one line names the bind
	"$shim" --bind-into "$q" --bind "$t/src2" "$c/undo" --bind "$t/src" "$c/missing" 2>"$t/err"
	rc=$?
	want="error: bind $t/src onto $c/missing in the mount namespace of $q: move_mount: No such file or directory (the mount point must exist: the host creates it)"
	if [ $rc = 1 ] && [ "$(cat "$t/err")" = "$want" ]; then ok; else bad "$what: failing bind: rc $rc: $(cat "$t/err")"; fi
	check "$what: the first bind was undone" [ ! -e "$in$c/undo/inner" ]
	"$shim" --bind-into "$q" --bind "$t/nonexistent" "$c/rootfs" 2>"$t/err"
	rc=$?
	want="error: bind $t/nonexistent onto $c/rootfs: open_tree: No such file or directory"
	if [ $rc = 1 ] && [ "$(cat "$t/err")" = "$want" ]; then ok; else bad "$what: missing SRC: rc $rc: $(cat "$t/err")"; fi

	"$shim" --unbind-in "$q" "$c/binds/0" "$c/rootfs/mnt" "$c/rootfs" "$c/never-bound" "$t/nonexistent" 2>"$t/err"
	rc=$?
	if [ $rc = 0 ] && [ ! -s "$t/err" ]; then ok; else bad "$what: unbind-in rc $rc: $(cat "$t/err")"; fi
	check "$what: rootfs unbound" [ ! -e "$in$c/rootfs/marker" ]
	check "$what: file unbound" [ ! -s "$in$c/binds/0" ]
	check "$what: the VMM runs on" kill -0 "$q"
}

# 1. the jail: the sources do not exist in the VMM's namespace, the state dir is nosuid,nodev,noexec
start_vmm jailed --jail-ns pid --jail-root "$t/jailed/jail" --jail-path-ro "$t/fake_vmm"
check "jail: the source is not in the jail" [ ! -e "/proc/$q/root$t/src/marker" ]
"$shim" --bind-into "$q" --bind "$t/src" "$st/share/c/x/rootfs"
opts=$(awk -v d="$st/share/c/x/rootfs" '$5 == d { print $6 }' "/proc/$q/mountinfo")
case ",$opts," in *,nosuid,*nodev,*noexec,*) ok ;; *) bad "jail: moved-in tree options '$opts', want nosuid,nodev,noexec" ;; esac
"$shim" --unbind-in "$q" "$st/share/c/x/rootfs"
run_case jail
stop_vmm

# 2. no jail: a plain private mount namespace (a --bind at start gives the VMM one)
start_vmm plain --bind "$t/src2" "$t/plain/share/rootfs"
run_case "no jail"
stop_vmm

# 3. refusals: our own namespace, a VMM that shares it (no binds, no jail), a pid that is gone
"$shim" --bind-into $$ --bind "$t/src" "$t/plain/share/c/x/rootfs" 2>"$t/err"
rc=$?
want="error: process $$ shares our mount namespace: refused (it would bind into the host's namespace)"
if [ $rc = 1 ] && [ "$(cat "$t/err")" = "$want" ]; then ok; else bad "own namespace: rc $rc: $(cat "$t/err")"; fi
start_vmm shared
"$shim" --unbind-in "$q" "$t/shared/share/rootfs" 2>"$t/err"
rc=$?
if [ $rc = 1 ] && grep -q "shares our mount namespace: refused" "$t/err"; then ok; else bad "shared namespace: rc $rc: $(cat "$t/err")"; fi
stop_vmm
"$shim" --bind-into "$q" --bind "$t/src" "$t/plain/share/c/x/rootfs" 2>"$t/err"
rc=$?
if [ $rc = 1 ] && [ "$(cat "$t/err")" = "error: open /proc/$q/ns/mnt: No such file or directory" ]; then ok; else
	bad "gone pid: rc $rc: $(cat "$t/err")"; fi
"$shim" --bind-into 1 --bind 2>"$t/err"
rc=$?
if [ $rc = 1 ] && [ "$(cat "$t/err")" = "error: --bind needs 2 arguments (SRC DST)" ]; then ok; else bad "usage: rc $rc: $(cat "$t/err")"; fi

echo "nsbind: $checks checks, $fails failures"
[ $fails -eq 0 ]
