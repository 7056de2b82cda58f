#!/bin/sh
# The jail end to end with a stand-in VMM (fake_vmm.c `inspect`, on the --serial-console line):
# pid namespace, ids, capabilities, no_new_privs, rlimits, what the jail root holds; set-up
# failures are one line on the ready fd. Needs root (mounts, namespaces); skipped otherwise.
# Usage: test_jail.sh SHIM FAKE_VMM
set -u
shim=$1
fake=$2
if [ "$(id -u)" != 0 ]; then echo "jail: skipped (not root)"; exit 0; fi
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fails=0
checks=0
ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL jail: $*" >&2; }
has() { # WHAT LINE: $t/out has that exact line
	if grep -qxF "$2" "$t/out"; then ok; else bad "$1: no line '$2' in: $(tr '\n' '|' <"$t/out")"; fi
}
mkdir "$t/s" "$t/hostonly"
cp "$fake" "$t/fake_vmm"
# inside the state dir (nested jail copy dropped), the fake bound read-only, a pid namespace
"$shim" --state "$t/s" --serial-console --ready-fd 5 --jail-ns pid,ipc,uts --jail-root "$t/s/jail" \
	--jail-path-ro "$t/fake_vmm" --jail-caps chown,fowner --no-new-privs --rlimit nofile=64 \
	--jail-uid 1500 --jail-gid 1501 -- "$t/fake_vmm" inspect /usr/bin /dev/null /proc/1/status \
	"$t/hostonly" /etc/passwd /home "$t/s/jail/usr" "$t/fake_vmm" </dev/null >"$t/out" 2>"$t/err" 5>"$t/ready"
rc=$?
if [ $rc = 0 ] && [ "$(cat "$t/ready")" = ok ]; then ok; else bad "rc $rc, ready '$(cat "$t/ready")', $(cat "$t/err")"; fi
has "pid 1 of its namespace, ids, rlimit" "pid=1 uid=1500 gid=1501 nofile=64"
for c in Inh Prm Eff Bnd Amb; do has "capabilities" "Cap$c:	0000000000000009"; done
has "no_new_privs" "NoNewPrivs:	1"
has "/usr" "/usr/bin yes"
has "/dev" "/dev/null yes"
has "its own /proc" "/proc/1/status yes"
has "the host is not there" "$t/hostonly no"
has "no /etc/passwd" "/etc/passwd no"
has "no /home" "/home no"
has "no nested jail" "$t/s/jail/usr no"
has "--jail-path-ro" "$t/fake_vmm yes"
if [ -z "$(ls -A "$t/s/jail")" ]; then ok; else bad "the jail dir is not empty on the host: $(ls -A "$t/s/jail")"; fi

# nothing asked: nothing changed (root, every capability, the host's /)
"$shim" --state "$t/s" --serial-console -- "$t/fake_vmm" inspect "$t/hostonly" </dev/null >"$t/out" 2>&1
has "no jail flags: the host's /" "$t/hostonly yes"
if grep -q "^pid=1 " "$t/out" || ! grep -q "uid=0 gid=0" "$t/out"; then bad "no jail flags: $(head -1 "$t/out")"; else ok; fi
if grep -qxF "CapEff:	$(sed -n 's/^CapEff:	//p' /proc/self/status)" "$t/out"; then ok; else bad "no jail flags: capabilities changed"; fi

# a failing step: one line on the ready fd, exit 1, no vmm
"$shim" --state "$t/s" --vmm-only --ready-fd 5 --jail-root "$t/j2" --jail-path-ro "$t/nonexistent" \
	-- "$t/fake_vmm" sleep </dev/null >/dev/null 2>&1 5>"$t/ready"
rc=$?
if [ $rc = 1 ] && [ "$(cat "$t/ready")" = "error: jail: $t/nonexistent: No such file or directory" ]; then ok; else
	bad "failing step: rc $rc, ready '$(cat "$t/ready")'"; fi

echo "jail: $checks checks, $fails failures"
[ $fails -eq 0 ]
