#!/bin/sh
# Benchmark: HTTP requests/s and latency (wrk) against busybox httpd in a rind microVM vs runc,
# both on one CNI bridge; plus the time from `create` to the first HTTP answer. Run as root.
# Usage: sh bench/http.sh [seconds]   (needs `npm run setup` first)
set -eu
cd "$(dirname "$0")/.."
secs=${1:-10}
rind="$PWD/bin/rind"
work=$(mktemp -d /tmp/rind-bench-http-XXXXXX)
subnet=10.217.0.0/24; gw=10.217.0.1; br=rindhttp0
cleanup() {
  "$rind" --root "$work/rind" delete -f web-rind >/dev/null 2>&1 || true
  runc --root "$work/runc" delete -f web-runc >/dev/null 2>&1 || true
  for n in rind runc; do
    CNI_COMMAND=DEL CNI_CONTAINERID=http-$n CNI_NETNS=/run/netns/rindhttp-$n CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
      /usr/lib/cni/bridge < "$work/net.json" >/dev/null 2>&1 || true
    ip netns del rindhttp-$n 2>/dev/null || true
  done
  ip link del $br 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
cat > "$work/net.json" <<JSON
{"cniVersion":"1.0.0","name":"rindhttp","type":"bridge","bridge":"$br","isGateway":true,
 "ipam":{"type":"host-local","ranges":[[{"subnet":"$subnet","gateway":"$gw"}]],"dataDir":"$work/ipam"}}
JSON
mkdir -p "$work/rootfs/bin" "$work/rootfs/www"
cp /bin/busybox "$work/rootfs/bin/"; ln -s busybox "$work/rootfs/bin/httpd"
head -c 1024 /dev/zero | tr '\0' x > "$work/rootfs/www/index.html"
for n in rind runc; do
  ip netns add rindhttp-$n
  ip=$(CNI_COMMAND=ADD CNI_CONTAINERID=http-$n CNI_NETNS=/run/netns/rindhttp-$n CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
    /usr/lib/cni/bridge < "$work/net.json" | sed -n 's/.*"address": *"\([0-9.]*\)\/.*/\1/p' | head -1)
  mkdir -p "$work/b-$n"; cp -a "$work/rootfs" "$work/b-$n/rootfs"
  (cd "$work/b-$n" && "$rind" spec)
  python3 - "$work/b-$n/config.json" "/run/netns/rindhttp-$n" <<'PY'
import json, sys
p, ns = sys.argv[1], sys.argv[2]
s = json.load(open(p))
s['process'].update(args=['/bin/httpd', '-f', '-p', '8080', '-h', '/www'], terminal=False)
s['root']['readonly'] = True
s['linux']['namespaces'] = [n if n['type'] != 'network' else {'type': 'network', 'path': ns} for n in s['linux']['namespaces']]
json.dump(s, open(p, 'w'))
PY
  t0=$(date +%s%N)
  if [ $n = rind ]; then "$rind" --root "$work/rind" run -d --bundle "$work/b-$n" web-$n </dev/null >/dev/null 2>"$work/err"
  else runc --root "$work/runc" run -d --bundle "$work/b-$n" web-$n </dev/null >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }; fi
  until curl -s -o /dev/null -m 1 "http://$ip:8080/"; do sleep 0.01; done
  t1=$(date +%s%N)
  echo "$n: create -> first HTTP answer: $(( (t1 - t0) / 1000000 )) ms ($ip)"
  wrk -t1 -c10 -d"${secs}s" --latency "http://$ip:8080/" | grep -E 'Requests/sec|Latency|50%|99%' | sed "s/^/$n: /"
done
