#!/bin/sh
# Build the Debian packages (debian/) from a clean copy of the source tree.
# Usage: tools/make-deb.sh OUTDIR      (make deb: OUTDIR = build/deb)
# OUTDIR receives the .deb files, .changes and .buildinfo, and lintian's
# report (lintian.txt); the copy it builds in is removed on success.
set -eu
cd "$(dirname "$0")/.."
out=${1:?usage: make-deb.sh OUTDIR}
ver=$(cat VERSION)
deb_ver=$(dpkg-parsechangelog -SVersion)
if [ "$deb_ver" != "$ver" ]; then
	echo "make-deb: debian/changelog says $deb_ver, VERSION says $ver" >&2
	exit 1
fi
src=$out/pcache-tools-$ver
rm -rf "$src"
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
mkdir -p "$src"
# the tracked and new files, without build trees or anything .gitignore'd
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z -co --exclude-standard | xargs -0 sh -c \
		'for f; do [ -e "$f" ] && printf "%s\n" "$f"; done' sh |
		tar -cf - -T - | tar -xf - -C "$src"
else
	tar -cf - --exclude=./.git --exclude='./build*' --exclude="./$out" . |
		tar -xf - -C "$src"
fi
(cd "$src" && dpkg-buildpackage -us -uc -b -j"${JOBS:-2}")
rm -rf "$src"
changes=$(ls "$out"/pcache-tools_"$ver"_*.changes)
lintian --fail-on error --info "$changes" > "$out/lintian.txt" 2>&1 ||
	{ cat "$out/lintian.txt" >&2; echo "make-deb: lintian found errors" >&2; exit 1; }
cat "$out/lintian.txt"
ls "$out"/*.deb
