#!/bin/bash
# The Debian packages for real (TAP): build them (tools/make-deb.sh), install
# them with apt into a throw-away Debian 12 chroot, run the tools, let DKMS
# build dm-pcache for Debian 12's kernel headers, purge everything and check
# that nothing is left behind.
#
# Needs root, debootstrap (tools/install-deps.sh deb) and the Debian mirror.
# The bookworm base (debootstrap + kernel headers + dkms) is made once (again
# after two weeks) and kept in $PCACHE_DEB_CACHE/base (default
# /var/tmp/pcache-deb-chroot); each run mounts a fresh overlay over it and
# throws the overlay away. Runs wait for each other (flock).
#
# Environment: PCACHE_DEB_DIR (packages already built: skip the build),
# PCACHE_DEB_MIRROR (default http://deb.debian.org/debian), PCACHE_SKIP_DEB=1
# (skip this suite). The module DKMS built is copied to
# build/deb/dkms/<kernel>/dm-pcache.ko, for PCT_MODULE of tests/kernel.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
ver=$(cat VERSION)
cache=${PCACHE_DEB_CACHE:-/var/tmp/pcache-deb-chroot}
base=$cache/base
mirror=${PCACHE_DEB_MIRROR:-http://deb.debian.org/debian}
out=${PCACHE_DEB_DIR:-$top/build/deb}
n=0
failed=0
run=
R=

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

[ -z "${PCACHE_SKIP_DEB:-}" ] || skip_all "PCACHE_SKIP_DEB is set"
[ "$(id -u)" = 0 ] || skip_all "needs root (chroot, mount)"
command -v debootstrap >/dev/null || skip_all "no debootstrap (tools/install-deps.sh deb)"

ok() {	# $1: 0 for success, rest: description
	local rc=$1
	shift
	n=$((n + 1))
	if [ "$rc" = 0 ]; then
		echo "ok $n - $*"
	else
		echo "not ok $n - $*"
		failed=$((failed + 1))
	fi
	return "$rc"
}

diag() {
	sed 's/^/# /' "$@"
}

# A step the rest depends on failed: report it and stop.
bail() {	# $1: description, $2: log to show
	ok 1 "$1"
	[ -s "${2:-}" ] && tail -n 40 "$2" | diag
	echo "Bail out! $1"
	echo "1..$n"
	exit 1
}

umount_all() {
	[ -n "$R" ] || return 0
	for m in "$R/proc" "$R/dev" "$R"; do
		mountpoint -q "$m" && { umount "$m" || umount -l "$m"; }
	done
	[ -n "$run" ] && rm -rf "$run"
}
trap umount_all EXIT
trap 'exit 130' INT TERM HUP

in_root() {
	chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 \
		${http_proxy:+http_proxy=$http_proxy} "$@"
}

mount_root() {	# $1: root directory
	mount -t proc proc "$1/proc" && mount --bind /dev "$1/dev"
}

# debootstrap, the kernel headers and dkms (what every run needs and
# is not ours), once; a run in progress elsewhere waits for the lock.
make_base() {
	local tmp=$cache/base.tmp log=$cache/base.log
	# rebuilt after two weeks, so that the headers stay the mirror's
	[ -n "$(find "$base/.pcache-base" -mtime -14 2>/dev/null)" ] && return 0
	rm -rf "$tmp" "$base"
	debootstrap --variant=minbase bookworm "$tmp" "$mirror" >"$log" 2>&1 || return 1
	cat >"$tmp/etc/apt/sources.list" <<-EOF
	deb $mirror bookworm main
	deb $mirror bookworm-updates main
	deb ${mirror%/debian}/debian-security bookworm-security main
	EOF
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 755 "$tmp/usr/sbin/policy-rc.d"
	R=$tmp
	mount_root "$tmp" || return 1
	in_root apt-get update -qq >>"$log" 2>&1 &&
		in_root apt-get install -y -qq --no-install-recommends \
			linux-headers-amd64 dkms gcc make libc6-dev pkg-config \
			>>"$log" 2>&1
	local rc=$?
	umount_all
	R=
	[ $rc = 0 ] || return 1
	touch "$tmp/.pcache-base"
	mv "$tmp" "$base"
}

start=$SECONDS

# ---- build
if [ -z "${PCACHE_DEB_DIR:-}" ]; then
	mkdir -p "$out"
	tools/make-deb.sh "$out" >"$out/build.log" 2>&1 ||
		bail "the packages build and lintian finds no error" "$out/build.log"
	ok 0 "the packages build and lintian finds no error ($((SECONDS - start)) s)"
fi
debs=$(ls "$out"/*_"$ver"_*.deb 2>/dev/null)
pkgs=$(for d in $debs; do dpkg-deb -f "$d" Package; done)
[ -n "$debs" ] || bail "packages of version $ver in $out"

# ---- the chroot
mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9
# what a killed run left (the lock is held for the whole run)
for old in "$cache"/run.*; do
	[ -d "$old" ] || continue
	for m in "$old/root/proc" "$old/root/dev" "$old/root"; do
		mountpoint -q "$m" && umount -l "$m"
	done
	rm -rf "$old"
done
make_base || bail "debootstrap bookworm with kernel headers and dkms" "$cache/base.log"
ok 0 "bookworm chroot base in $base ($((SECONDS - start)) s)"
run=$(mktemp -d "$cache/run.XXXXXX")
mkdir -p "$run/upper" "$run/work" "$run/root"
R=$run/root
mount -t overlay overlay -o "lowerdir=$base,upperdir=$run/upper,workdir=$run/work" "$R" &&
	mount_root "$R" || bail "mount the throw-away chroot"
cp -L /etc/resolv.conf "$R/etc/resolv.conf"
log=$run/apt.log
# newer headers, when the mirror has them, as on the host (tests/deps/kernel.txt)
in_root apt-get update -qq >"$log" 2>&1 &&
	in_root apt-get install -y -qq --no-install-recommends linux-headers-amd64 >>"$log" 2>&1 ||
	bail "apt-get update and linux-headers-amd64 in the chroot" "$log"
kver=$(ls -d "$R"/usr/src/linux-headers-*-amd64 | sed 's|.*/linux-headers-||' | sort -V | tail -n 1)

# ---- install
mkdir -p "$R/tmp/debs"
cp $debs "$R/tmp/debs/"
in_root sh -c 'apt-get install -y --no-install-recommends /tmp/debs/*.deb' >"$log" 2>&1
rc=$?
ok $rc "apt installs $(echo $pkgs) from a local directory ($((SECONDS - start)) s)"
[ $rc = 0 ] || { diag "$log"; bail "installation"; }
for p in $pkgs; do
	in_root dpkg -L "$p" >"$run/$p.files" 2>/dev/null
done

# ---- the tools
for t in $(grep '^/usr/sbin/' "$run/pcache-tools.files"); do
	got=$(in_root "$t" --version 2>&1)
	[ "$got" = "$(basename "$t") (pcache-tools) $ver" ]
	ok $? "$(basename "$t") --version: $got"
done
for t in $(grep '^/usr/sbin/' "$run/pcache-tools.files"); do
	zcat "$R/usr/share/man/man8/$(basename "$t").8.gz" 2>/dev/null | head -n 1 |
		grep -q "\"pcache-tools $ver\""
	ok $? "$(basename "$t")(8) installed, of version $ver"
done
truncate -s 1G "$R/tmp/c.img"
in_root pcache-format -q /tmp/c.img >"$run/t.log" 2>&1
ok $? "pcache-format of a sparse 1 GiB image" || diag "$run/t.log"
in_root pcache-fsck -n /tmp/c.img >"$run/t.log" 2>&1
ok $? "pcache-fsck -n finds it clean" || diag "$run/t.log"
in_root pcache-dump /tmp/c.img >"$run/t.log" 2>&1 && grep -q . "$run/t.log"
ok $? "pcache-dump reads it" || diag "$run/t.log"

# libpcache-dev: a program built with pkg-config runs on libpcache.so.0
cat >"$R/tmp/probe.c" <<'EOF'
#include <stdio.h>
#include <pcache.h>
int main(int argc, char **argv)
{
	struct pc_dev *d;
	struct pc_cache *c;

	if (argc < 2 || pc_dev_open(argv[1], 0, &d, NULL) || pc_cache_open(d, &c, NULL))
		return 1;
	printf("%u\n", c->sb.seg_num);
	return 0;
}
EOF
in_root sh -c 'gcc -o /tmp/probe /tmp/probe.c $(pkg-config --cflags --libs libpcache) &&
	ldd /tmp/probe | grep -q "libpcache\.so\.0 => /" && /tmp/probe /tmp/c.img' \
	>"$run/t.log" 2>&1
ok $? "a program built with pkg-config libpcache reads the image: $(tail -n 1 "$run/t.log") segments" ||
	diag "$run/t.log"

# ---- DKMS
ko=$(ls "$R/lib/modules/$kver/updates/dkms"/dm-pcache.ko* 2>/dev/null | head -n 1)
[ -n "$ko" ]
ok $? "DKMS built and installed dm-pcache for $kver: ${ko#$R}" || diag "$log"
in_root dkms status -m dm-pcache >"$run/t.log" 2>&1
grep -q "^dm-pcache/$ver, $kver, x86_64: installed" "$run/t.log"
ok $? "dkms status: $(head -n 1 "$run/t.log")"
if [ -n "$ko" ]; then
	got="$(modinfo -F version "$ko")|$(modinfo -F description "$ko")|$(modinfo -F vermagic "$ko")"
	case "$got" in
	"$ver|dm-pcache compatible persistent-memory write-back cache|$kver "*) rc=0 ;;
	*) rc=1 ;;
	esac
	ok $rc "modinfo: our module, version $ver, for $kver"
	mkdir -p "$top/build/deb/dkms/$kver"
	cp "$ko" "$top/build/deb/dkms/$kver/"
	echo "# PCT_MODULE=$top/build/deb/dkms/$kver/$(basename "$ko")"
fi

# ---- purge: nothing is left
in_root apt-get purge -y $pkgs >"$log" 2>&1
ok $? "apt-get purge $(echo $pkgs)" || diag "$log"
left=$(for p in $pkgs; do
	while read -r f; do
		[ -d "$R$f" ] || [ ! -e "$R$f" ] || echo "$f"
	done <"$run/$p.files"
done)
[ -z "$left" ]
ok $? "every file the packages installed is gone${left:+: $left}"
left=$(ls -d "$R"/usr/src/dm-pcache-* "$R"/var/lib/dkms/dm-pcache \
	"$R/lib/modules/$kver/updates/dkms"/dm-pcache.ko* 2>/dev/null)
[ -z "$left" ]
ok $? "no module source, DKMS tree or built module left${left:+: $left}"
in_root dkms status >"$run/t.log" 2>&1
[ ! -s "$run/t.log" ]
ok $? "dkms status is empty"
left=$(in_root dpkg -l $pkgs 2>/dev/null | grep '^[a-z][a-z] ' | grep -v '^un ')
[ -z "$left" ]
ok $? "dpkg knows none of the packages any more${left:+: $left}"

echo "# $((SECONDS - start)) s"
echo "1..$n"
[ "$failed" = 0 ]
