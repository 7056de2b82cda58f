#!/bin/sh
# Sets up everything rind needs on a fresh Debian 12 machine, idempotently and as root:
# Debian packages (only those missing), npm deps, the TypeScript build, guest kernel, agent, shim and test unikernels.
set -eu
cd "$(dirname "$0")/.."
pkgs="qemu-system-x86 linux-source-6.1 musl-tools busybox-static gcc make bc bison flex libelf-dev libssl-dev
  cpio xz-utils iproute2 runc crun containernetworking-plugins wrk curl podman conmon containerd catatonit"
missing=""
for p in $pkgs; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "rind setup: installing Debian packages:$missing" >&2
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
npm run -s build >&2
mkdir -p build
echo "rind setup: guest kernel (cached by source version + fragment; first build takes ~8 min)" >&2
kernel=$(guest/kernel/build.sh)
initramfs=$(guest/agent/build.sh)
shim=$(native/shim/build.sh)
ln -sfn "$kernel" build/vmlinux
ln -sfn "$initramfs" build/initramfs.cpio
ln -sfn "$shim" build/rind-shim
ln -sfn "$(native/client/build.sh)" build/rind # bin/rind -> build/rind: the C client of the per-root daemon
ln -sfn "$(native/testtools/build.sh)" build/testtools
ln -sfn "$(guest/unikernels/build.sh)" build/unikernels
echo "rind setup: ready (kernel $kernel)" >&2
