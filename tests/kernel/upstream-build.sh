#!/bin/sh
# Build the kernel's own dm-pcache (drivers/md/dm-pcache) out of tree from
# Debian's development suite, so the cross-check suite (upstream.tap.sh)
# can boot that kernel with either module.
#
#   tests/kernel/upstream-build.sh [DIR]      default DIR: /var/tmp/pcache-upstream
#
# At run time it picks the newest linux-source-X.Y of sid that has an
# amd64 kernel image (linux-binary + linux-modules, or an old-style
# linux-image) and headers package of the same version, installs them into
# a throw-away chroot DIR/root (debootstrap; downloads are kept in
# DIR/debs and in the chroot's apt cache), unpacks drivers/md/dm-pcache and
# drivers/md/*.h from the source tarball under DIR/root/build/upstream and
# builds it with the chroot's own make and gcc against the chroot's headers.
# Nothing of the kernel source is copied into this repository.
#
# The module is installed as DIR/root/lib/modules/KVER/updates/dm-pcache.ko
# (depmod run), so "PCT_ROOT=DIR/root PCT_UPSTREAM=1" in vm.sh loads it.
# DIR/built-from.txt says what was built from what; DIR/env holds
# PCT_ROOT=... and KVER=... for the test scripts.
#
# Exit status: 0 built (or already built from the same packages),
# 3 the packages could not be fetched (no debootstrap, no network, no
# matching versions), 1 anything else failed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
D=${1:-/var/tmp/pcache-upstream}
R=$D/root
log=$D/log
mkdir -p "$D/debs" "$log"
# (Valid-Until is not checked: the mirror's Release file may be older than
# this machine's clock says it may be, which only means "not refreshed".)
APT="chroot $R env DEBIAN_FRONTEND=noninteractive apt-get -q -o Acquire::Check-Valid-Until=false -o DPkg::Lock::Timeout=600"

say() { echo "upstream-build: $*" >&2; }
nofetch() { say "$1"; [ -n "${2:-}" ] && tail -n 5 "$2" >&2; exit 3; }
die() { say "$1"; [ -n "${2:-}" ] && tail -n 15 "$2" >&2; exit 1; }

# 1. The chroot (sid, minimal) with a compiler and make.
if [ ! -x "$R/usr/bin/make" ] || [ ! -x "$R/usr/bin/gcc" ]; then
	command -v debootstrap >/dev/null || "$top/tools/install-deps.sh" upstream \
		>"$log/deps.log" 2>&1 || nofetch "cannot install debootstrap" "$log/deps.log"
	rm -rf "$R"
	say "creating a sid chroot in $R (a few minutes)"
	debootstrap --variant=minbase --include=gcc,make,xz-utils,kmod \
		--cache-dir="$D/debs" sid "$R" >"$log/debootstrap.log" 2>&1 ||
		{ rm -rf "$R"; nofetch "debootstrap of sid failed" "$log/debootstrap.log"; }
fi

# 2. Package lists: refreshed when older than 12 hours; a failed refresh
# with lists at hand goes on with those (a warm cache works offline).
lists=$R/var/lib/apt/lists
if [ -z "$(find "$lists" -maxdepth 1 -name '*_Packages' -mmin -720 2>/dev/null)" ]; then
	if ! $APT update >"$log/update.log" 2>&1; then
		ls "$lists"/*_Packages >/dev/null 2>&1 ||
			nofetch "apt-get update in the chroot failed" "$log/update.log"
		say "apt-get update failed; using the package lists at hand"
	fi
fi

# 3. Versions: the newest X.Y whose source, image and headers agree.
aver() { chroot "$R" apt-cache show --no-all-versions "$1" 2>/dev/null |
	sed -n 's/^Version: //p' | head -n 1; }
pick() {
	for src in $(chroot "$R" apt-cache pkgnames linux-source- |
			grep -E '^linux-source-[0-9]+\.[0-9]+$' | sort -rV); do
		xy=${src#linux-source-}
		ver=$(aver "$src")
		[ -n "$ver" ] || continue
		for abi in $(chroot "$R" apt-cache pkgnames "linux-headers-$xy" |
				sed -n "s/^linux-headers-\($xy[.0-9]*[^-]*-amd64\)$/\1/p" |
				sort -rV); do
			[ "$(aver "linux-headers-$abi")" = "$ver" ] || continue
			if [ "$(aver "linux-binary-$abi")" = "$ver" ] &&
			   [ "$(aver "linux-modules-$abi")" = "$ver" ]; then
				kpkgs="linux-binary-$abi linux-modules-$abi"
			elif [ "$(aver "linux-image-$abi")" = "$ver" ]; then
				kpkgs="linux-image-$abi"
			else
				continue
			fi
			echo "$src $ver $abi $kpkgs"
			return 0
		done
	done
	return 1
}
# (the answer is kept until the package lists change)
stamp=$(ls -l --time-style=+%s "$lists"/*_Packages 2>/dev/null | md5sum | cut -c1-16)
if [ "$(sed -n 1p "$D/pick" 2>/dev/null)" = "$stamp" ]; then
	set -- $(sed -n 2p "$D/pick")
else
	set -- $(pick) || true
	[ $# -ge 4 ] && printf '%s\n%s\n' "$stamp" "$*" >"$D/pick"
fi
[ $# -ge 4 ] || nofetch "no linux-source-X.Y in sid with a matching amd64 image and headers"
src=$1 ver=$2 KVER=$3
shift 3
kpkgs=$*
xy=${src#linux-source-}
say "using $src $ver, kernel $KVER ($kpkgs)"

# 4. Install them (unless they are there already, at that version).
have=1
for p in "$src" "linux-headers-$KVER" $kpkgs; do
	[ "$(chroot "$R" dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null)" = \
	  "install ok installed $ver" ] || have=0
done
[ $have = 1 ] || $APT install -y --no-install-recommends "$src" "linux-headers-$KVER" $kpkgs \
	>"$log/install.log" 2>&1 || nofetch "installing the $ver packages failed" "$log/install.log"
# New-style images keep vmlinuz next to the modules; vm.sh looks in /boot.
if [ ! -f "$R/boot/vmlinuz-$KVER" ]; then
	mkdir -p "$R/boot"
	cp "$R/usr/lib/modules/$KVER/vmlinuz" "$R/boot/vmlinuz-$KVER" ||
		die "no vmlinuz for $KVER in the chroot"
fi

# 5. Unpack and build upstream's dm-pcache (cached per source version).
B=/build/upstream/$ver
tarball=$R/usr/src/$src.tar.xz
[ -f "$tarball" ] || die "$src does not contain $tarball"
if [ ! -f "$R$B/drivers/md/dm-pcache/Makefile" ]; then
	say "unpacking drivers/md/dm-pcache from $src"
	rm -rf "$R$B"
	mkdir -p "$R$B"
	tar -xJf "$tarball" -C "$R$B" --strip-components=1 --wildcards \
		"$src/drivers/md/dm-pcache/*" "$src/drivers/md/*.h" ||
		die "cannot unpack drivers/md/dm-pcache from $tarball"
fi
M=$B/drivers/md/dm-pcache
ko=$R$M/dm-pcache.ko
if [ ! -f "$ko" ] || [ "$(cat "$R$M/.built-for" 2>/dev/null)" != "$KVER" ]; then
	umount_proc=
	mountpoint -q "$R/proc" || { mount -t proc proc "$R/proc" && umount_proc=1; }
	chroot "$R" make -C "/usr/src/linux-headers-$KVER" M="$M" CONFIG_DM_PCACHE=m \
		-j"$(nproc)" modules >"$log/build.log" 2>&1
	rc=$?
	[ -n "$umount_proc" ] && umount "$R/proc"
	[ $rc = 0 ] && [ -f "$ko" ] || die "building upstream dm-pcache failed" "$log/build.log"
	echo "$KVER" >"$R$M/.built-for"
fi
mkdir -p "$R/lib/modules/$KVER/updates"
cp "$ko" "$R/lib/modules/$KVER/updates/dm-pcache.ko"
chroot "$R" depmod "$KVER" || die "depmod $KVER in the chroot failed"

# 6. Say what was built from what.
dver() { chroot "$R" dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }
{
	echo "upstream dm-pcache: $R/lib/modules/$KVER/updates/dm-pcache.ko"
	echo "  sha256 $(sha256sum "$ko" | cut -d' ' -f1)"
	echo "  $(modinfo -F vermagic "$ko")"
	echo "source: $src $(dver "$src") ($tarball: drivers/md/dm-pcache, drivers/md/*.h)"
	echo "headers: linux-headers-$KVER $(dver "linux-headers-$KVER")"
	for p in $kpkgs; do echo "kernel: $p $(dver "$p")"; done
	echo "compiler: $(chroot "$R" gcc --version | head -n 1)"
	echo "chroot: $R (Debian sid)"
} >"$D/built-from.txt"
printf 'PCT_ROOT=%s\nKVER=%s\nUPSTREAM_VER=%s\n' "$R" "$KVER" "$ver" >"$D/env"
cat "$D/built-from.txt"
