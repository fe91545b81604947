#!/usr/bin/env bats
# One version: the file VERSION. The tools, the man pages, libpcache.pc,
# the module's dkms.conf and the Debian changelog all say what it says.

load helpers

setup() {
	VER=$(cat "$REPO/VERSION")
}

@test "VERSION is one line, a version number" {
	[ "$(wc -l < "$REPO/VERSION")" -eq 1 ]
	[[ "$VER" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "debian/changelog's newest entry is VERSION" {
	command -v dpkg-parsechangelog >/dev/null || skip "no dpkg-parsechangelog"
	[ "$(dpkg-parsechangelog -l "$REPO/debian/changelog" -SVersion)" = "$VER" ]
}

@test "no source file spells the version: man pages say @VERSION@, the build fills it in" {
	run grep -l "pcache-tools) $VER\|\"pcache-tools $VER\"" "$REPO"/cmd/*/*.8* \
		"$REPO"/lib/*.h "$REPO"/cmd/*/*.h
	[ "$status" -eq 1 ]
	for m in "$REPO"/cmd/*/*.[58]; do
		grep -q '^\.TH .*"pcache-tools @VERSION@"' "$m" || { echo "$m"; false; }
	done
}

@test "the built man pages carry VERSION and no placeholder" {
	[[ "$PCACHE_BIN" != *-san ]] || skip "man pages are built in the plain tree"
	local n=0 m
	for m in "$PCACHE_BIN"/man/*.[58]; do
		grep -q "^\.TH .*\"pcache-tools $VER\"" "$m" || { echo "$m"; false; }
		! grep -q "@VERSION@" "$m"
		n=$((n + 1))
	done
	[ "$n" -eq "$(ls "$REPO"/cmd/*/*.[58] | wc -l)" ]
}

@test "libpcache.pc has VERSION" {
	[[ "$PCACHE_BIN" != *-san ]] || skip "libpcache.pc is built in the plain tree"
	grep -qx "Version: $VER" "$PCACHE_BIN/libpcache.pc"
}

@test "make -C kernel dkms-source: dkms.conf and VERSION of VERSION" {
	local dest=$BATS_TEST_TMPDIR/root
	make -s -C "$REPO/kernel" dkms-source DESTDIR="$dest" KDIR=/nonexistent
	grep -qx "PACKAGE_VERSION=\"$VER\"" "$dest/usr/src/dm-pcache-$VER/dkms.conf"
	[ "$(cat "$dest/usr/src/dm-pcache-$VER/VERSION")" = "$VER" ]
	[ -f "$dest/usr/src/dm-pcache-$VER/pcache_layout.h" ]
	cmp "$dest/usr/src/dm-pcache-$VER/pcache_rules.h" "$REPO/lib/layout/pcache_rules.h"
}

@test "libpcache.so exports the functions of its installed headers only" {
	[[ "$PCACHE_BIN" != *-san ]] || skip "libpcache.so is built in the plain tree"
	local exported declared
	exported=$(nm -D --defined-only "$PCACHE_BIN/libpcache.so" |
		awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort)
	[ -n "$exported" ]
	declared=$(grep -ohE '\<pc_[a-z0-9_]+\(' "$REPO/lib/pcache.h" "$REPO/lib/writer.h" |
		tr -d '(' | sort -u)
	run comm -23 <(echo "$exported") <(echo "$declared")
	[ -z "$output" ] || { echo "exported, not in an installed header: $output"; false; }
	# and every symbol has the version node
	run sh -c "objdump -T '$PCACHE_BIN/libpcache.so' | grep ' pc_' | grep -vc PCACHE_0"
	[ "$output" = 0 ]
}

@test "debian/libpcache0.symbols lists exactly what libpcache.so exports" {
	[[ "$PCACHE_BIN" != *-san ]] || skip "libpcache.so is built in the plain tree"
	local exported listed
	exported=$(nm -D --defined-only "$PCACHE_BIN/libpcache.so" |
		awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort)
	listed=$(awk '$1 ~ /^pc_/ { sub(/@.*/, "", $1); print $1 }' \
		"$REPO/debian/libpcache0.symbols" | sort)
	run diff <(echo "$exported") <(echo "$listed")
	[ "$status" = 0 ] || { echo "exported (<) vs symbols file (>): $output"; false; }
}
