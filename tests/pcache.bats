#!/usr/bin/env bats
# pcache on the host: status-line decoding from recorded lines (the
# kernel's own, FORMAT.md 14.3 and the fixtures README), --watch rates and
# stall detection, --detail against a kernel-written cache, create's
# refusals on images (nothing written), usage errors, pcachetab parsing,
# the systemd generator (checked by systemd-analyze verify) and the udev
# helper. The live device paths run in the qemu guest (tests/kernel).

load helpers
bats_require_minimum_version 1.5.0

setup() {
	P=$PCACHE_BIN/pcache
	T=$BATS_TEST_TMPDIR
}

# status of recorded lines: status_of LINE... -- ARGS
status_of() {
	: >"$T/lines"
	while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
		echo "$1" >>"$T/lines"
		shift
	done
	shift
	"$P" status --status-from "$T/lines" "$@"
}

jf() {	# jf EXPR: a field of the JSON on stdin
	json "$1"
}

# ---- usage -----------------------------------------------------------------

@test "--version, --help, no command, an unknown command" {
	run "$P" --version
	[ "$status" -eq 0 ]
	[ "$output" = "pcache (pcache-tools) 0.1.0" ]
	run "$P" --help
	[ "$status" -eq 0 ]
	for c in create remove status list set wait activate deactivate is-backing; do
		[[ "$output" == *"  $c "* ]] || { echo "missing $c"; false; }
	done
	run "$P"
	[ "$status" -eq 16 ]
	run "$P" frobnicate
	[ "$status" -eq 16 ]
	[ "$output" = "pcache: unknown command 'frobnicate'
Try 'pcache --help' for more information." ]
}

@test "usage errors exit 16 before any device is touched" {
	run "$P" create a b
	[ "$status" -eq 16 ]
	[[ "$output" == "pcache create: missing NAME, CACHE or BACKING argument"* ]]
	run "$P" create a b c d
	[ "$status" -eq 16 ]
	[[ "$output" == "pcache create: unexpected argument 'd'"* ]]
	run "$P" create --bogus a b c
	[ "$status" -eq 16 ]
	run "$P" create 'bad/name' /nonexistent /nonexistent2
	[ "$status" -eq 16 ]
	[ "$output" = "pcache create: NAME 'bad/name': character '/' is not one of A-Z a-z 0-9 _ . -" ]
	run "$P" remove
	[ "$status" -eq 16 ]
	run "$P" remove a b
	[ "$status" -eq 16 ]
	run "$P" remove --timeout -1 a
	[ "$status" -eq 16 ]
	[[ "$output" == "pcache remove: --timeout: '-1' is not a number of seconds (at least 0)"* ]]
	run "$P" wait --clean --timeout= a
	[ "$status" -eq 16 ]
	[[ "$output" == "pcache wait: --timeout: empty value"* ]]
	run "$P" wait pc0
	[ "$status" -eq 16 ]
	[[ "$output" == "pcache wait: say what to wait for: --clean"* ]]
	run "$P" set pc0
	[ "$status" -eq 16 ]
	run "$P" list extra
	[ "$status" -eq 16 ]
	run "$P" activate
	[ "$status" -eq 16 ]
	run "$P" activate --all pc0
	[ "$status" -eq 16 ]
	run "$P" status --watch 0.001
	[ "$status" -eq 16 ]
	[[ "$output" == "pcache status: --watch: '0.001' is not a number of seconds (at least 0.05)"* ]]
	run "$P" is-backing
	[ "$status" -eq 16 ]
}

@test "gc_percent above 90 is refused (16) before the kernel is asked" {
	run "$P" set pc0 --gc-percent 95
	[ "$status" -eq 16 ]
	[[ "$output" == "pcache set: --gc-percent: '95' is not a number in 0-90"* ]]
	run "$P" set pc0 --gc-percent -1
	[ "$status" -eq 16 ]
	run "$P" create --gc-percent 91 pc0 /nonexistent /nonexistent2
	[ "$status" -eq 16 ]
	[[ "$output" == "pcache create: --gc-percent: '91' is not a number in 0-90"* ]]
}

@test "with --json anywhere on the line, a usage error prints a failure document" {
	for cmd in "set pc0 --gc-percent 95 --json" "create -j a b" \
		   "status --json --watch 0" "list --json extra"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$P" $cmd
		[ "$status" -eq 16 ]
		jq -e --arg c "${cmd%% *}" '.__header.tool == "pcache" and
			.__header.command == $c and .exit_code == 16 and
			(.error | length > 0)' <<< "$output"
		[[ "$stderr" == "pcache ${cmd%% *}: "* ]]
	done
}

# ---- status decoding -------------------------------------------------------

@test "status decodes the kernel's fresh-format line (kfresh)" {
	run status_of "0 524288 pcache 0 63 63 1 70 1182 0:0 0:0 0:0" -- pc0
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "pc0: dm-pcache, cache -, backing -, 524288 sectors (256.00 MiB)" ]
	[ "${lines[1]}" = "  segments    1 of 63 in use (cache_segs 63); GC starts at 44 (gc_percent 70)" ]
	[ "${lines[2]}" = "  options     cache_mode writeback, data_crc false, initialised" ]
	[ "${lines[3]}" = "  log         key_head 0:0  dirty_tail 0:0  key_tail 0:0" ]
	[ "${lines[4]}" = "  writeback   idle: nothing dirty" ]
	[ "${lines[5]}" = "  flags       superblock 0x0, cache_info 0x1182" ]
}

@test "status --json decodes every field of kcrc-crash's line" {
	status_of "0 524288 pcache 0 63 63 3 70 1183 0:24720 0:0 0:0" -- --json pc0 >"$T/s.json"
	d() { jf "$1" <"$T/s.json"; }
	[ "$(d 'd["__header"]["tool"], d["__header"]["command"], d["__header"]["version"]')" = "('pcache', 'status', 1)" ]
	v='d["devices"][0]'
	[ "$(d "$v['name'], $v['sectors'], $v['sb_flags'], $v['seg_total'], $v['cache_segs']")" = "('pc0', 524288, 0, 63, 63)" ]
	[ "$(d "$v['segs_used'], $v['gc_percent'], $v['gc_threshold_segs'], $v['cache_flags']")" = "(3, 70, 44, 4483)" ]
	[ "$(d "$v['data_crc'], $v['init_done'], $v['cache_mode']")" = "(True, True, 'writeback')" ]
	[ "$(d "$v['key_head'], $v['dirty_tail'], $v['key_tail']")" = "({'seg': 0, 'off': 24720}, {'seg': 0, 'off': 0}, {'seg': 0, 'off': 0})" ]
	[ "$(d "$v['writeback_idle'], $v['dirty_log_bytes_min'], $v['dirty_log_exact']")" = "(False, 24720, True)" ]
}

@test "status: gc_percent 50 (cache_flags c82), and a log distance across segments is a lower bound" {
	status_of "0 63 63 1 50 c82 0:0 0:0 0:0" "0 63 63 5 0 2 1:5000 0:500000 0:0" -- --json pc0 >"$T/s.json"
	d() { jf "$1" <"$T/s.json"; }
	[ "$(d 'd["devices"][0]["gc_percent"], d["devices"][0]["gc_threshold_segs"], d["devices"][0]["cache_flags"]')" = "(50, 31, 3202)" ]
	# the rest of segment 0 after 500000 plus 5000 bytes of segment 1
	[ "$(d 'd["devices"][1]["dirty_log_bytes_min"], d["devices"][1]["dirty_log_exact"]')" = "($((16764928 - 500000 + 5000)), False)" ]
	[ "$(d 'd["devices"][1]["init_done"], d["devices"][1]["gc_threshold_segs"]')" = "(True, 0)" ]
	run status_of "0 63 63 5 0 0 1:5000 0:500000 0:0" -- pc0
	[ "${lines[2]}" = "  options     cache_mode writeback, data_crc false, not initialised" ]
	[ "${lines[4]}" = "  writeback   busy: at least 16269928 bytes (15.52 MiB) of log dirty" ]
}

@test "status refuses what is not a dm-pcache status line (1)" {
	for l in "0 63 63 1 70 1182 0:0 0:0" "0 63 63 1 70 1182 0:0 0:0 0:0 7" \
		 "0 63 -63 1 70 1182 0:0 0:0 0:0" "0 63 63 1 70 1182 0:0 0:0 0:16764929" \
		 "0 63 63 1 70 1182 0:0 0;0 0:0" ""; do
		run status_of "$l" -- pc0
		[ "$status" -eq 1 ] || { echo "accepted '$l'"; false; }
		[[ "$output" == "pcache status: pc0: not a dm-pcache status line: '"* ]]
	done
}

@test "status --watch: rates per second and a stalled writeback, warned once" {
	status_of "0 63 63 1 70 1182 0:0 0:0 0:0" \
		  "0 63 63 3 70 1182 0:1000000 0:0 0:0" \
		  "0 63 63 3 70 1182 0:1000000 0:400000 0:0" \
		  "0 63 63 3 70 1182 0:1000000 0:400000 0:0" \
		  "0 63 63 3 70 1182 0:1000000 0:400000 0:0" \
		  "0 63 63 3 70 1182 0:1000000 0:400000 0:0" \
		  "0 63 63 3 70 1182 0:1000000 0:1000000 0:0" \
		  -- --watch 4 pc0 >"$T/w.txt" 2>"$T/w.err"
	cat "$T/w.txt"
	# time, writeback and log growth per second, state
	awk '{ print $1, $(NF - 3), $(NF - 2), $NF }' "$T/w.txt" >"$T/w.cols"
	diff - "$T/w.cols" <<'EOF2'
0.0 0 0 idle
4.0 0 250000 busy
8.0 100000 0 busy
12.0 0 0 busy
16.0 0 0 busy
20.0 0 0 STALLED
24.0 150000 0 idle
EOF2
	[ "$(sed -n 2p "$T/w.txt" | awk '{ print $4, $5 }')" = "976.56 KiB" ]
	[ "$(sed -n 3p "$T/w.txt" | awk '{ print $4, $5 }')" = "585.94 KiB" ]
	# dirty_tail last moved at 8 s: stalled from 18 s on, warned once
	[ "$(cat "$T/w.err")" = "pcache status: warning: pc0: writeback stalled: dirty_tail 0:400000 has not moved for 12 s with dirty data (a backing-device error stops the kernel's writeback)" ]
}

@test "status --watch --json: one document per sample with rates and the stall flag" {
	status_of "0 63 63 1 70 1182 0:0 0:0 0:0" "0 63 63 3 70 1182 0:1000000 0:0 0:0" \
		  "0 63 63 3 70 1182 0:1000000 0:0 0:0" "0 63 63 3 70 1182 0:1000000 0:0 0:0" \
		  -- --watch 5 --json pc0 >"$T/w.json" 2>/dev/null
	[ "$(wc -l <"$T/w.json")" -eq 4 ]
	[ "$(sed -n 2p "$T/w.json" | jf 'd["rates"]["log_bytes_per_s"], d["writeback_stalled"], d["time_s"]')" = "(200000.0, False, 5.0)" ]
	[ "$(sed -n 3p "$T/w.json" | jf 'd["writeback_stalled"], d["stalled_seconds"]')" = "(True, 10.0)" ]
	[ "$(sed -n 4p "$T/w.json" | jf 'd["writeback_stalled"], d["stalled_seconds"]')" = "(True, 15.0)" ]
}

@test "status --detail: exact dirty bytes from a read-only replay of kcrc-crash" {
	have_fixtures || skip "no kernel fixtures"
	img=$(fixture kcrc-crash.pmem)
	before=$(sha256sum <"$img")
	status_of "0 524288 pcache 0 63 63 3 70 1183 0:24720 0:0 0:0" -- \
		--detail --cache-dev "$img" --json pc0 >"$T/s.json"
	want=$("$PCACHE_BIN/pcache-dump" --replay --json "$img" |
		jf 'd["replay"]["totals"]["dirty_bytes"], d["replay"]["totals"]["keys"]')
	[ "$(jf 'd["devices"][0]["detail"]["dirty_bytes"], d["devices"][0]["detail"]["keys"]' <"$T/s.json")" = "$want" ]
	[ "$want" = "(8400896, 612)" ]
	# the walked log from dirty_tail is the status line's distance, exactly
	[ "$(jf 'd["devices"][0]["detail"]["dirty_log_bytes"], d["devices"][0]["detail"]["dirty_log_segs"], d["devices"][0]["dirty_log_bytes_min"]' <"$T/s.json")" = "(24720, 1, 24720)" ]
	[ "$(sha256sum <"$img")" = "$before" ]
}

# ---- create: refusals before the kernel is asked ---------------------------

sums() { echo "$(sum "$T/cache.img") $(sum "$T/back.img")"; }

@test "create refuses a device without a superblock (no --format), writing nothing" {
	sparse "$T/cache.img" 1G
	sparse "$T/back.img" 256M
	before=$(sums)
	run "$P" create pc0 "$T/cache.img" "$T/back.img"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache create: $T/cache.img: no dm-pcache superblock; the kernel would format the device silently on first use; refusing (--format formats it first, with pcache-format's checks)" ]
	[ "$(sums)" = "$before" ]
}

@test "create refuses a data_crc mismatch with the media, naming both" {
	have_fixtures || skip "no kernel fixtures"
	cp "$(fixture kcrc-crash.pmem)" "$T/cache.img"
	sparse "$T/back.img" 256M
	before=$(sums)
	run "$P" create pc0 "$T/cache.img" "$T/back.img"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache create: $T/cache.img: formatted with data_crc true but the table would say data_crc false; the kernel refuses the mismatch (PC-INFO-DATA-CRC); add --data-crc" ]
	run "$P" create --force pc0 "$T/cache.img" "$T/back.img"
	[ "$status" -eq 1 ]
	[[ "$output" == *"(PC-INFO-DATA-CRC)"* ]]
	[ "$(sums)" = "$before" ]
}

@test "create refuses a damaged cache with the checker's finding codes" {
	have_fixtures || skip "no kernel fixtures"
	cp "$(fixture kfresh.pmem)" "$T/cache.img"
	sparse "$T/back.img" 256M
	# flip a byte of the superblock's seg_num: its CRC no longer matches
	printf '\x7f' | dd of="$T/cache.img" bs=1 seek=$((4096 + 20)) conv=notrunc status=none
	before=$(sums)
	run "$P" create pc0 "$T/cache.img" "$T/back.img"
	[ "$status" -eq 1 ]
	[[ "$output" == "pcache create: $T/cache.img: the kernel would refuse this cache or lose data: PC-SB-CRC (reject)"* ]]
	[[ "$output" == *"; run pcache-fsck; refusing (--force overrides)" ]]
	[ "$(sums)" = "$before" ]
}

@test "create refuses a cache whose keys lie beyond the backing device (PC-KEY-BACKING)" {
	have_fixtures || skip "no kernel fixtures"
	cp "$(fixture kcrc-crash.pmem)" "$T/cache.img"
	sparse "$T/back.img" 64M
	before=$(sums)
	run "$P" create --data-crc pc0 "$T/cache.img" "$T/back.img"
	[ "$status" -eq 1 ]
	[[ "$output" == *"PC-KEY-BACKING (reject)"* ]]
	[ "$(sums)" = "$before" ]
}

@test "create: the same device twice is refused" {
	sparse "$T/back.img" 1G
	ln -s "$T/back.img" "$T/link"
	run "$P" create pc0 "$T/back.img" "$T/link"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache create: $T/back.img and $T/link are the same device; refusing" ]
}

@test "create: a good cache passes every check, then an image is not a block device" {
	have_fixtures || skip "no kernel fixtures"
	cp "$(fixture kcrc-crash.pmem)" "$T/cache.img"
	cp "$(fixture kcrc-crash.backing)" "$T/back.img"
	before=$(sums)
	run "$P" create --data-crc pc0 "$T/cache.img" "$T/back.img"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache create: $T/cache.img: not a block device (the target needs block devices; losetup an image first)" ]
	[ "$(sums)" = "$before" ]
}

@test "create --format formats as pcache-format does, with its options" {
	sparse "$T/cache.img" 1G
	sparse "$T/back.img" 256M
	run "$P" create --format --data-crc --gc-percent 50 pc0 "$T/cache.img" "$T/back.img"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/cache.img: formatted, 63 segments, data_crc true, gc_percent 50"* ]]
	[[ "$output" == *"pcache create: $T/cache.img: not a block device"* ]]
	sparse "$T/ref.img" 1G
	"$PCACHE_BIN/pcache-format" -q --data-crc --gc-percent 50 "$T/ref.img"
	cmp "$T/cache.img" "$T/ref.img"
}

@test "create --format keeps pcache-format's refusals: a filesystem signature" {
	command -v mkfs.ext4 >/dev/null || skip "no mkfs.ext4"
	sparse "$T/cache.img" 1G
	sparse "$T/back.img" 256M
	mkfs.ext4 -q -F "$T/cache.img"
	before=$(sums)
	run "$P" create --format pc0 "$T/cache.img" "$T/back.img"
	[ "$status" -eq 1 ]
	[[ "$output" == "pcache create: $T/cache.img: contains a ext4 signature"*"refusing (--force overrides, or wipefs -a first)" ]]
	[ "$(sums)" = "$before" ]
}

@test "create --format keeps pcache-format's refusals: a lost superblock over dirty data" {
	have_fixtures || skip "no kernel fixtures"
	cp "$(fixture kcrc-crash.pmem)" "$T/cache.img"
	sparse "$T/back.img" 256M
	dd if=/dev/zero of="$T/cache.img" bs=4096 seek=1 count=1 conv=notrunc status=none
	before=$(sums)
	run "$P" create --format --force pc0 "$T/cache.img" "$T/back.img"
	[ "$status" -eq 1 ]
	[[ "$output" == "pcache create: $T/cache.img: contains no valid superblock, but "*"; refusing (pcache-format --force --discard-dirty overrides)" ]]
	[ "$(sums)" = "$before" ]
}

teardown() {
	[ -n "${HOLDER:-}" ] && kill "$HOLDER" 2>/dev/null
	[ -n "${LOOP:-}" ] && losetup -d "$LOOP" 2>/dev/null
	true
}

@test "create refuses a backing device in use (held exclusively), writing nothing" {
	have_fixtures || skip "no kernel fixtures"
	[ "$(id -u)" = 0 ] || skip "needs root for a loop device"
	cp "$(fixture kcrc-crash.pmem)" "$T/cache.img"
	sparse "$T/back.img" 256M
	LOOP=$(losetup -f --show "$T/back.img" 2>/dev/null) || skip "no loop device"
	hold_exclusively "$LOOP"
	before=$(sums)
	run "$P" create --data-crc pc0 "$T/cache.img" "$LOOP"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache create: $LOOP: device is in use (mounted, mapped by device-mapper or opened exclusively)" ]
	[ "$(sums)" = "$before" ]
}

# ---- pcachetab -------------------------------------------------------------

tab_error() {	# tab_error "TAB TEXT" "EXPECTED MESSAGE AFTER FILE:"
	printf '%s\n' "$1" >"$T/tab"
	run "$P" activate --all --tab "$T/tab"
	[ "$status" -eq 1 ] || { echo "status $status"; false; }
	[ "$output" = "pcache activate: $T/tab:$2" ] || { echo "got: $output"; false; }
}

@test "pcachetab: errors name the line and the field" {
	tab_error "# c
pc0 /dev/pmem0" "2: missing BACKING (NAME CACHE BACKING [OPTIONS])"
	tab_error "pc0" "1: missing CACHE and BACKING (NAME CACHE BACKING [OPTIONS])"
	tab_error "pc0 /dev/pmem0 /dev/sdb data_crc extra" "1: field 'extra': too many fields (NAME CACHE BACKING [OPTIONS])"
	tab_error "pc0 /dev/pmem0 /dev/sdb data_crc,bogus" "1: option 'bogus': unknown, or a value where none belongs (data_crc, gc_percent=N, nofail, noauto, x-systemd.device-timeout=T)"
	tab_error "pc0 /dev/pmem0 /dev/sdb nofail=1" "1: option 'nofail=1': unknown, or a value where none belongs (data_crc, gc_percent=N, nofail, noauto, x-systemd.device-timeout=T)"
	tab_error "

pc0 /dev/pmem0 /dev/sdb gc_percent=95" "3: option gc_percent '95': not a number in 0-90"
	tab_error "pc0 /dev/pmem0 /dev/sdb gc_percent=5x" "1: option gc_percent '5x': not a number in 0-90"
	tab_error "pc0 /dev/pmem0 /dev/sdb x-systemd.device-timeout=soon" "1: option x-systemd.device-timeout 'soon': not a time in seconds (N, Ns, Nmin)"
	tab_error "pc0 /dev/pmem0 UUID=1234-abcd" "1: BACKING 'UUID=1234-abcd': a filesystem UUID on the backing device is also the cached device's UUID; name the backing device by PARTUUID= or a /dev/disk/by-id path"
	tab_error "pc0 pmem0 /dev/sdb" "1: CACHE 'pmem0': neither an absolute path nor UUID= or PARTUUID="
	tab_error "pc0 /dev/pmem0 PARTUUID=xyz" "1: BACKING 'PARTUUID=xyz': not a partition UUID"
	tab_error "pc/0 /dev/pmem0 /dev/sdb" "1: NAME 'pc/0': character '/' is not one of A-Z a-z 0-9 _ . -"
	tab_error "pc0 /dev/pmem0 /dev/sdb
pc0 /dev/pmem1 /dev/sdc" "2: NAME 'pc0': already used on line 1"
}

@test "activate: a name not in the table, a missing table" {
	echo "pc0 /dev/pmem0 /dev/sdb" >"$T/tab"
	run "$P" activate --tab "$T/tab" pc9
	[ "$status" -eq 1 ]
	[ "$output" = "pcache activate: pc9: not listed in $T/tab" ]
	run "$P" activate --tab "$T/none" pc0
	[ "$status" -eq 1 ]
	[ "$output" = "pcache activate: $T/none: No such file or directory" ]
}

@test "activate never formats: a zeroed cache in pcachetab is refused and left alone" {
	sparse "$T/cache.img" 1G
	sparse "$T/back.img" 256M
	printf 'pc0\t%s  %s data_crc,gc_percent=60,nofail # trailing\n' "$T/cache.img" "$T/back.img" >"$T/tab"
	sed -i 's/ # trailing//' "$T/tab"
	before=$(sums)
	run "$P" activate --tab "$T/tab" pc0
	[ "$status" -eq 1 ]
	[[ "$output" == "pcache activate: $T/cache.img: no dm-pcache superblock;"* ]]
	# with --all a nofail entry only warns
	run "$P" activate --all --tab "$T/tab"
	[ "$status" -eq 0 ]
	[[ "$output" == *"pcache activate: warning: pc0: not activated (nofail)" ]]
	[ "$(sums)" = "$before" ]
}

@test "activate --all skips noauto entries" {
	printf 'pc0 /nonexistent/a /nonexistent/b noauto\n' >"$T/tab"
	run "$P" activate --all --tab "$T/tab"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$P" activate --tab "$T/tab" pc0
	[ "$status" -eq 1 ]
}

# ---- the systemd generator -------------------------------------------------

gen() {		# gen TAB-TEXT [CMDLINE]: run the generator into $T/gen
	rm -rf "$T/gen"
	mkdir -p "$T/gen" "$T/early" "$T/late"
	printf '%s\n' "$1" >"$T/tab"
	ln -sf "$P" "$T/pcache-generator"
	PCACHE_TAB=$T/tab SYSTEMD_PROC_CMDLINE=${2:-quiet} \
		"$T/pcache-generator" "$T/gen" "$T/early" "$T/late"
}

@test "generator: one unit per entry, bound to both devices, before local-fs-pre.target" {
	gen "pc0 /dev/pmem0 /dev/disk/by-id/nvme-Disk_X-part1 data_crc,gc_percent=50
pc1 /dev/pmem1 PARTUUID=1234abcd-01 nofail,x-systemd.device-timeout=2min
pc2 /dev/pmem2 /dev/sdc noauto"
	u=$T/gen/pcache-pc0.service
	cu=$(systemd-escape --path /dev/pmem0).device
	bu=$(systemd-escape --path /dev/disk/by-id/nvme-Disk_X-part1).device
	grep -qxF "BindsTo=$cu $bu" "$u"
	grep -qxF "After=$cu $bu" "$u"
	grep -qxF "Before=local-fs-pre.target umount.target" "$u"
	grep -qxF "DefaultDependencies=no" "$u"
	grep -qxF "ExecStart=$(realpath "$P") activate --tab $T/tab pc0" "$u"
	grep -qxF "ExecStop=$(realpath "$P") deactivate --timeout 120 --force --tab $T/tab pc0" "$u"
	grep -qxF "TimeoutStartSec=infinity" "$u"
	grep -qxF "TimeoutStopSec=150" "$u"
	bu1=$(systemd-escape --path /dev/disk/by-partuuid/1234abcd-01).device
	grep -qxF "BindsTo=dev-pmem1.device $bu1" "$T/gen/pcache-pc1.service"
	# required, only wanted with nofail, not pulled in with noauto
	[ -L "$T/gen/local-fs-pre.target.requires/pcache-pc0.service" ]
	[ ! -e "$T/gen/local-fs-pre.target.wants/pcache-pc0.service" ]
	[ -L "$T/gen/local-fs-pre.target.wants/pcache-pc1.service" ]
	[ ! -e "$T/gen/local-fs-pre.target.requires/pcache-pc1.service" ]
	[ ! -e "$T/gen/local-fs-pre.target.requires/pcache-pc2.service" ]
	[ ! -e "$T/gen/local-fs-pre.target.wants/pcache-pc2.service" ]
	# the mapped device pulls its unit in, noauto or not
	[ "$(readlink "$T/gen/dev-mapper-pc2.device.requires/pcache-pc2.service")" = "$T/gen/pcache-pc2.service" ]
	# x-systemd.device-timeout=2min on both devices of pc1 only
	grep -qxF "JobRunningTimeoutSec=120" "$T/gen/$bu1.d/40-pcache-device-timeout.conf"
	grep -qxF "JobRunningTimeoutSec=120" "$T/gen/dev-pmem1.device.d/40-pcache-device-timeout.conf"
	[ ! -e "$T/gen/$cu.d" ]
	[ "$(ls "$T/gen" | grep -c '\.service$')" -eq 3 ]
	[ -z "$(ls "$T/early" "$T/late" | grep -v :)" ]
}

@test "generator: device unit names are systemd-escape --path's" {
	gen "pc0 /dev/disk/by-path/pci-0000:00:1f.2-ata-1.0 /dev/disk/by-id/a.b_c-d\\x" 2>/dev/null || true
	for p in /dev/disk/by-path/pci-0000:00:1f.2-ata-1.0 "/dev/disk/by-id/a.b_c-d\\x"; do
		grep -qF "$(systemd-escape --path "$p").device" "$T/gen/pcache-pc0.service" ||
			{ echo "no unit for $p"; cat "$T/gen/pcache-pc0.service"; false; }
	done
}

@test "generator: a PARTUUID= in upper case is udev's lower-case by-partuuid link" {
	gen "pc0 /dev/pmem0 PARTUUID=5043A11E-0000-4000-8000-00000000ABCD"
	bu=$(systemd-escape --path /dev/disk/by-partuuid/5043a11e-0000-4000-8000-00000000abcd).device
	grep -qxF "BindsTo=dev-pmem0.device $bu" "$T/gen/pcache-pc0.service"
}

@test "generator: systemd-analyze verify accepts every unit" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
	gen "pc0 /dev/pmem0 /dev/disk/by-id/nvme-Disk_X-part1 data_crc,gc_percent=50
pc1 /dev/pmem1 PARTUUID=1234abcd-01 nofail,x-systemd.device-timeout=30
pc2 /dev/pmem2 /dev/sdc noauto"
	run env SYSTEMD_UNIT_PATH="$T/gen:" systemd-analyze verify --man=no \
		"$T"/gen/pcache-pc*.service
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# and it does check: a unit with a broken ExecStart is refused
	sed -i 's|^ExecStart=.*|ExecStart=relative/pcache|' "$T/gen/pcache-pc0.service"
	run env SYSTEMD_UNIT_PATH="$T/gen:" systemd-analyze verify --man=no \
		"$T/gen/pcache-pc0.service"
	[ "$status" -ne 0 ]
}

@test "generator: pcache=off on the kernel command line, a missing table, a broken one" {
	gen "pc0 /dev/pmem0 /dev/sdb" "quiet pcache=off splash"
	[ -z "$(ls "$T/gen")" ]
	rm -rf "$T/gen"; mkdir "$T/gen"
	PCACHE_TAB=$T/none "$T/pcache-generator" "$T/gen"
	[ -z "$(ls "$T/gen")" ]
	run gen "pc0 /dev/pmem0 /dev/sdb
pc1 /dev/pmem1 /dev/sdc bogus"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-generator: $T/tab:2: option 'bogus': unknown, or a value where none belongs (data_crc, gc_percent=N, nofail, noauto, x-systemd.device-timeout=T)" ]
	[ -z "$(ls "$T/gen")" ]
	run "$T/pcache-generator"
	[ "$status" -eq 16 ]
}

# ---- the udev helper -------------------------------------------------------

@test "is-backing: yes for a pcachetab entry's backing device, by path or link" {
	sparse "$T/back.img" 1M
	sparse "$T/other.img" 1M
	ln -s "$T/back.img" "$T/link"
	printf 'pc0 /dev/pmem0 %s\npc1 /dev/pmem1 /dev/disk/by-id/never-there\n' "$T/link" >"$T/tab"
	run "$P" is-backing --tab "$T/tab" "$T/back.img"
	[ "$status" -eq 0 ]
	[ "$output" = "$T/back.img: backing device of pc0 (listed in pcachetab)" ]
	run "$P" is-backing --tab "$T/tab" --export "$T/back.img"
	[ "$status" -eq 0 ]
	[ "$output" = "PCACHE_BACKING_OF=pc0" ]
	run "$P" is-backing --tab "$T/tab" "$T/other.img"
	[ "$status" -eq 1 ]
	[ "$output" = "$T/other.img: not a dm-pcache backing device" ]
	run "$P" is-backing --tab "$T/tab" --export "$T/other.img"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	# the cache device is not a backing device
	run "$P" is-backing --tab "$T/tab" /dev/null
	[ "$status" -eq 1 ]
}

@test "is-backing: the link udev is creating for this event (DEVLINKS) counts" {
	sparse "$T/dev.img" 1M
	printf 'pc1 /dev/pmem1 /dev/disk/by-id/never-there\n' >"$T/tab"
	run env DEVLINKS="/dev/disk/by-path/x /dev/disk/by-id/never-there" \
		"$P" is-backing --tab "$T/tab" --export "$T/dev.img"
	[ "$status" -eq 0 ]
	[ "$output" = "PCACHE_BACKING_OF=pc1
PCACHE_FILTER_LINKS=1
PCACHE_KEEP_LINKS=disk/by-path/x disk/by-id/never-there" ]
	printf 'pc2 /dev/pmem2 PARTUUID=0a1b2c3d-02\n' >"$T/tab"
	run env ID_PART_ENTRY_UUID=0A1B2C3D-02 "$P" is-backing --tab "$T/tab" --export "$T/dev.img"
	[ "$status" -eq 0 ]
	[ "$output" = "PCACHE_BACKING_OF=pc2" ]
	# the links udev keeps for a backing device: all but the filesystem's
	run env ID_PART_ENTRY_UUID=0a1b2c3d-02 DEVLINKS=" /dev/disk/by-uuid/f00d /dev/disk/by-partuuid/0a1b2c3d-02  /dev/disk/by-label/x /dev/disk/by-diskseq/9 /dev/disk/by-uuid/" \
		"$P" is-backing --tab "$T/tab" --export "$T/dev.img"
	[ "$status" -eq 0 ]
	[ "$output" = "PCACHE_BACKING_OF=pc2
PCACHE_FILTER_LINKS=1
PCACHE_KEEP_LINKS=disk/by-partuuid/0a1b2c3d-02 disk/by-diskseq/9 disk/by-uuid/" ]
	run env ID_PART_ENTRY_UUID=0a1b2c3d-02 DEVLINKS="/dev/disk/by-uuid/f00d" \
		"$P" is-backing --tab "$T/tab" --export "$T/dev.img"
	[ "$output" = "PCACHE_BACKING_OF=pc2
PCACHE_FILTER_LINKS=1
PCACHE_KEEP_LINKS=" ]
	run env ID_PART_ENTRY_UUID=0a1b2c3d-03 "$P" is-backing --tab "$T/tab" "$T/dev.img"
	[ "$status" -eq 1 ]
}

@test "is-backing: a missing --tab is an error, a missing device too" {
	run "$P" is-backing --tab "$T/none" /dev/null
	[ "$status" -eq 1 ]
	[ "$output" = "pcache is-backing: $T/none: No such file or directory" ]
	run "$P" is-backing --tab "$T/none" "$T/nodev"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/nodev: No such file or directory" ]]
}

@test "the udev rule calls the helper and hides what it names" {
	r=$REPO/udev/61-pcache.rules.in
	grep -qF 'IMPORT{program}="@SBINDIR@/pcache is-backing --export $devnode"' "$r"
	grep -qF 'ENV{PCACHE_BACKING_OF}!="?*", GOTO="pcache_end"' "$r"
	grep -qF 'ENV{PCACHE_FILTER_LINKS}=="1", OPTIONS+="string_escape=none", \' "$r"
	grep -qF '  SYMLINK="$env{PCACHE_KEEP_LINKS}"' "$r"
	grep -qF 'ENV{ID_FS_TYPE}="pcache_backing"' "$r"
	grep -qF 'ENV{DM_UUID}=="PCACHE-*", GOTO="pcache_end"' "$r"
}

@test "pcachetab: two entries naming one device are refused" {
	tab_error "pc0 /dev/pmem0 /dev/sdb
pc1 /dev/pmem0 /dev/sdc" "2: CACHE '/dev/pmem0': already used by 'pc0' on line 1"
	tab_error "pc0 /dev/pmem0 /dev/sdb
pc1 /dev/pmem1 /dev/sdb" "2: BACKING '/dev/sdb': already used by 'pc0' on line 1"
	tab_error "pc0 /dev/pmem0 /dev/sdb
pc1 /dev/sdb /dev/sdc" "2: CACHE '/dev/sdb': already used by 'pc0' on line 1"
	tab_error "pc0 /dev/sdb /dev/sdb" "1: BACKING '/dev/sdb': the same device as CACHE"
}

@test "is-backing: a bad pcachetab line does not unhide the other entries' backing devices" {
	sparse "$T/back.img" 1M
	printf 'pc0 /dev/pmem0 /dev/sdb bogus\npc1 /dev/pmem1 %s\n' "$T/back.img" >"$T/tab"
	run "$P" is-backing --tab "$T/tab" --export "$T/back.img"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "PCACHE_BACKING_OF=pc1" ]
	[[ "${lines[0]}" == "pcache is-backing: $T/tab:1: option 'bogus': unknown"* ]]
}

@test "create: a cache the kernel would lose data of takes --force --discard-dirty" {
	M=$PCACHE_BIN/testtools/pcache-mutate
	[ -x "$M" ] || skip "no $M"
	"$M" --make-base "$T/gen.pmem" >/dev/null
	# a flipped kset mid-log: the kernel drops the 9 valid ksets after it
	"$M" "$T/gen.pmem" "$T/cache.img" kset-flip 3 >/dev/null
	sparse "$T/back.img" 256M
	c0=$(sha256sum <"$T/cache.img")
	b0=$(sha256sum <"$T/back.img")
	for force in "" --force; do
		run "$P" create $force pc0 "$T/cache.img" "$T/back.img"
		[ "$status" -eq 1 ]
		[[ "$output" == "pcache create: $T/cache.img: the kernel would lose data of this cache: PC-LOG-TRUNCATED (loss): "*"; refusing (--force --discard-dirty overrides)" ]]
	done
	[ "$(sha256sum <"$T/cache.img")" = "$c0" ]
	[ "$(sha256sum <"$T/back.img")" = "$b0" ]
	run "$P" create --force --discard-dirty pc0 "$T/cache.img" "$T/back.img"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "pcache create: warning: $T/cache.img: PC-LOG-TRUNCATED (loss): creating anyway (--force --discard-dirty)" ]
	[ "${lines[1]}" = "pcache create: $T/cache.img: not a block device (the target needs block devices; losetup an image first)" ]
}

@test "create: a backing device that lacks the data the cache wrote back to it is refused" {
	G=$PCACHE_BIN/testtools/pcache-genlog
	[ -x "$G" ] || skip "no $G"
	"$G" --image-size 512M --backing-size 16M --bs 4K --size 8M \
		"$T/cache.img" >/dev/null
	sparse "$T/back.img" 16M
	sparse "$T/other.img" 16M
	"$PCACHE_BIN/pcache-writeback" -q "$T/cache.img" "$T/back.img" >/dev/null
	# its own backing device: every check passes
	run "$P" create pc0 "$T/cache.img" "$T/back.img"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache create: $T/cache.img: not a block device (the target needs block devices; losetup an image first)" ]
	# another disk of the same size (devices renamed, a wrong pcachetab line)
	c0=$(sha256sum <"$T/cache.img")
	o0=$(sha256sum <"$T/other.img")
	run "$P" create pc0 "$T/cache.img" "$T/other.img"
	[ "$status" -eq 1 ]
	[[ "$output" == "pcache create: $T/cache.img: data the cache says is on $T/other.img already differs from it (PC-BACKING-DIFF: backing bytes "*"); is that its backing device? refusing (--force overrides)" ]]
	[ "$(sha256sum <"$T/cache.img")" = "$c0" ]
	[ "$(sha256sum <"$T/other.img")" = "$o0" ]
	run "$P" create --force pc0 "$T/cache.img" "$T/other.img"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a block device"* ]]
}
