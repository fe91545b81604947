#!/usr/bin/env bats
# make install lays out a usable libpcache: a program built against the
# installed headers with pkg-config reads a cache device.

load helpers

setup() {
	[[ "$PCACHE_BIN" != *-san ]] || skip "install is tested once, on the plain build"
	DEST=$BATS_TEST_TMPDIR/root
	BUILD=$(realpath --relative-to="$REPO" "$PCACHE_BIN")
}

@test "make install: tools, man pages, completions, library, headers, pkg-config" {
	run make -s -C "$REPO" install BUILD="$BUILD" DESTDIR="$DEST" PREFIX=/usr
	[ "$status" -eq 0 ]
	for f in sbin/pcache-format share/man/man8/pcache-format.8 \
		 share/bash-completion/completions/pcache-format \
		 lib/libpcache.a lib/libpcache.so.0 lib/pkgconfig/libpcache.pc \
		 include/pcache/pcache.h include/pcache/pcache_layout.h; do
		[ -e "$DEST/usr/$f" ] || { echo "missing $f"; false; }
	done
}

@test "a program builds against the installed shared library and reads a cache" {
	make -s -C "$REPO" install BUILD="$BUILD" DESTDIR="$DEST" PREFIX=/usr
	sed -i "s|^prefix=.*|prefix=$DEST/usr|" "$DEST/usr/lib/pkgconfig/libpcache.pc"
	cat > "$BATS_TEST_TMPDIR/probe.c" <<'C'
#include <stdio.h>
#include <pcache.h>
int main(int argc, char **argv)
{
	struct pc_dev *d;
	struct pc_cache *c;

	if (argc < 2 || pc_dev_open(argv[1], 0, &d, NULL) ||
	    pc_cache_open(d, &c, NULL))
		return 1;
	printf("%u %u 0x%x\n", c->sb.seg_num, c->info.n_segs, c->info.flags);
	return 0;
}
C
	export PKG_CONFIG_PATH=$DEST/usr/lib/pkgconfig
	gcc -o "$BATS_TEST_TMPDIR/probe" "$BATS_TEST_TMPDIR/probe.c" \
		$(pkg-config --cflags libpcache) \
		$(pkg-config --libs libpcache)
	sparse "$BATS_TEST_TMPDIR/c.img" 1G
	"$PCACHE_BIN/pcache-format" -q --data-crc "$BATS_TEST_TMPDIR/c.img"
	LD_LIBRARY_PATH=$DEST/usr/lib run "$BATS_TEST_TMPDIR/probe" "$BATS_TEST_TMPDIR/c.img"
	[ "$status" -eq 0 ]
	[ "$output" = "63 63 0x1183" ]
}

@test "make install: pcache's generator, udev rule and pcachetab(5)" {
	run make -s -C "$REPO" install BUILD="$BUILD" DESTDIR="$DEST" PREFIX=/usr
	[ "$status" -eq 0 ]
	[ "$(readlink "$DEST/usr/lib/systemd/system-generators/pcache-generator")" = /usr/sbin/pcache ]
	grep -qF 'IMPORT{program}="/usr/sbin/pcache is-backing --export $devnode"' \
		"$DEST/usr/lib/udev/rules.d/61-pcache.rules"
	! grep -q @SBINDIR@ "$DEST/usr/lib/udev/rules.d/61-pcache.rules"
	[ -f "$DEST/usr/share/man/man5/pcachetab.5" ]
	[ -f "$DEST/usr/share/bash-completion/completions/pcache" ]
}
