#!/bin/sh
# Build kernel/ against Debian sid's kernel headers (7.x, newest gcc) in a
# chroot. Optional check, not part of "make check" (needs network on first
# use and root).
#   tests/kernel/sid-build.sh [CHROOT]     default CHROOT: /var/tmp/pcache-sid
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
root=${1:-/var/tmp/pcache-sid}

if [ ! -x "$root/usr/bin/make" ]; then
	command -v debootstrap >/dev/null ||
		{ echo "sid-build: install debootstrap first" >&2; exit 2; }
	debootstrap --variant=minbase --include=gcc,make,linux-headers-amd64 \
		sid "$root" http://deb.debian.org/debian
fi
kdir=$(ls -d "$root"/usr/src/linux-headers-*-amd64 | sort -V | tail -n 1)
[ -n "$kdir" ] || { echo "sid-build: no headers in $root" >&2; exit 2; }
rm -rf "$root/build/pcache"
mkdir -p "$root/build/pcache"
cp "$top"/kernel/*.c "$top"/kernel/*.h "$top/kernel/Makefile" \
	"$top/lib/layout/pcache_layout.h" "$top/lib/layout/pcache_rules.h" \
	"$top/VERSION" "$root/build/pcache/"
rm -f "$root/build/pcache/dm-pcache.mod.c"
# objtool needs /proc
mountpoint -q "$root/proc" || { mount -t proc proc "$root/proc"; trap 'umount "$root/proc"' EXIT; }
chroot "$root" make -C "/usr/src/$(basename "$kdir")" M=/build/pcache modules
echo "sid-build: built $root/build/pcache/dm-pcache.ko against $(basename "$kdir")"
