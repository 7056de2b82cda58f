#!/bin/sh
# Builds the rind guest kernel (PVH-bootable vmlinux) from Debian's linux-source.
# Cached outside the repo under $RIND_CACHE/kernel/<key>, key = source version + fragment + this script.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${RIND_CACHE:-/var/cache/rind}
srcver=$(dpkg-query -W -f '${Version}' linux-source-6.1)
key=$( (echo "$srcver"; cat "$here/fragment.config" "$here/build.sh") | sha256sum | cut -c1-16)
out="$cache/kernel/$key"
if [ -f "$out/vmlinux" ]; then echo "$out/vmlinux"; exit 0; fi
work="$cache/kernel-build"
mkdir -p "$work" "$cache/kernel"
if [ ! -d "$work/linux-source-6.1" ] || [ "$(cat "$work/srcver" 2>/dev/null)" != "$srcver" ]; then
  rm -rf "$work/linux-source-6.1"
  tar -C "$work" -xf /usr/src/linux-source-6.1.tar.xz
  echo "$srcver" > "$work/srcver"
fi
cd "$work/linux-source-6.1"
KCONFIG_ALLCONFIG="$here/fragment.config" make -s allnoconfig >&2
# every line of the fragment must have survived dependency resolution
missing=$(grep '^CONFIG_' "$here/fragment.config" | while read -r l; do grep -qx "$l" .config || echo "$l"; done)
if [ -n "$missing" ]; then echo "rind: kernel options dropped by Kconfig: $missing" >&2; exit 1; fi
make -s -j"$(nproc)" vmlinux >&2
mkdir -p "$out.tmp"
cp vmlinux "$out.tmp/vmlinux"
cp .config "$out.tmp/config"
make -s kernelrelease > "$out.tmp/release"
rm -rf "$out"; mv "$out.tmp" "$out"
echo "$out/vmlinux"
