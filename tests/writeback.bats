#!/usr/bin/env bats
# pcache-writeback: the kernel's crash fixture written back offline must
# give the kernel's own written-back backing image byte for byte; a second
# run changes nothing; refusals change nothing; reruns after an interrupted
# run converge. JSON parsed back with jq.

load helpers

setup_file() {
	"$BATS_TEST_DIRNAME"/../tools/install-deps.sh dump >&2
}

setup() {
	W=$PCACHE_BIN/pcache-writeback
	D=$PCACHE_BIN/pcache-dump
	have_fixtures || skip "fixtures not found in $FIXTURES"
	# Work on tmpfs when there is one: the tool fsyncs, and a loaded CI
	# disk makes that slow. Images are sparse; a few MiB are written.
	WORK=$BATS_TEST_TMPDIR
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then
		WORK=$(mktemp -d /dev/shm/pcache-wb.XXXXXX)
	fi
	C=$WORK/c.pmem
	B=$WORK/b.img
	cp --sparse=always "$(fixture kcrc-crash.pmem)" "$C"
	cp --sparse=always "$(fixture kcrc-crash.backing)" "$B"
	chmod u+w "$C" "$B"
	CLEAN_B=$(fixture kcrc-clean.backing)
	ORIG_C=$(fixture kcrc-crash.pmem)
	ORIG_B=$(fixture kcrc-crash.backing)
}

# Hashing 1 GiB images is slow on a loaded CI machine: compare with cmp,
# and for the cache only the part that holds metadata, log and data.
same_cache() {
	cmp -n 67108864 "$1" "$2"
}

# Nothing was written to a file since mtime stamp $2 (cheaper than cmp).
untouched() {
	[ "$(stat -c %y "$1")" = "$2" ]
}

# Write IMAGE back onto BACKING (both of SIZE) and check that the backing
# device then holds what pcache-dump --extract read before, and that the
# JSON report satisfies the jq FILTER.
wb_equals_extract() {	# IMAGE BACKING SIZE FILTER
	"$D" --backing "$2" --extract 0 "$3" "$1" > "$WORK/want"
	run "$W" --json "$1" "$2"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e "$4"
	cmp "$2" "$WORK/want"
}

teardown() {
	case ${WORK:-} in
	/dev/shm/pcache-wb.*) rm -rf "$WORK" ;;
	esac
	if [ -n "${HOLDER:-}" ]; then
		kill "$HOLDER" 2>/dev/null || true
		wait "$HOLDER" 2>/dev/null || true
	fi
	if [ -n "${LOOP:-}" ]; then
		losetup -d "$LOOP" 2>/dev/null || true
	fi
}

@test "--help lists the options; one BACKING_DEVICE missing is a usage error (16)" {
	run "$W" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--dry-run"* ]]
	[[ "$output" == *"--skip-bad"* ]]
	run "$W" "$C"
	[ "$status" -eq 16 ]
	[[ "$output" == *"missing CACHE_DEVICE and BACKING_DEVICE argument"* ]]
	run "$W" --from 1 "$C" "$B"
	[ "$status" -eq 16 ]
	[[ "$output" == *"--from: expected SEG:OFF, got '1'"* ]]
}

@test "--dry-run lists the 482 extents and changes nothing" {
	run "$W" --dry-run --json "$C" "$B"
	[ "$status" -eq 0 ]
	echo "$output" > "$BATS_TEST_TMPDIR/n.json"
	jq -e 'keys_unsorted[0] == "__header" and
		.__header.tool == "pcache-writeback" and
		.result == "dry_run" and .dry_run and .error == null and
		(.extents | length) == 482 and
		all(.extents[]; .action == "would_write" and .reason == null) and
		.totals.bytes_to_write == 8400896 and
		.totals.bytes_written == 0 and .totals.stale_keys == 0 and
		.dirty_tail_before == {"seg": 0, "off": 0} and
		.dirty_tail_after == {"seg": 0, "off": 0} and
		.key_head == {"seg": 0, "off": 24720} and
		.tail_written == false and (.stale_keys | length) == 0' \
		"$BATS_TEST_TMPDIR/n.json"
	same_cache "$C" "$ORIG_C"
	cmp "$B" "$ORIG_B"
	# -n: the summary only; -n -v: one line per extent as well
	run "$W" -n "$C" "$B"
	[ "$status" -eq 0 ]
	[[ "$output" == *"would write 482 extents, 8400896 bytes"* ]]
	[ "${#lines[@]}" -eq 2 ]
	run "$W" -n -v "$C" "$B"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^  would write ' <<< "$output")" -eq 482 ]
	same_cache "$C" "$ORIG_C"
	cmp "$B" "$ORIG_B"
}

@test "kcrc-crash written back equals kcrc-clean.backing; a rerun changes nothing" {
	run "$W" --json "$C" "$B"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.result == "written" and .tail_written and
		.totals.bytes_written == 8400896 and
		(.extents | length) == 482 and
		all(.extents[]; .action == "written") and
		.dirty_tail_after == .key_head and
		.key_head == {"seg": 0, "off": 24720}'
	# the decompressed fixture is kcrc-clean.backing of SHA256SUMS
	cmp "$B" "$CLEAN_B"
	# the kernel would now pick the new dirty_tail copy: slot 1, seq 2
	run "$D" --json --superblock "$C"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.tails.dirty_tail.chosen == 1 and
		.tails.dirty_tail.slots[1].seq == 2 and
		.tails.dirty_tail.pos == {"seg": 0, "off": 24720} and
		.tails.dirty_tail.slots[0].state == "valid" and
		.summary.dirty == false and .summary.dirty_bytes == 0 and
		.summary.kernel_would_load'
	cp --sparse=always "$C" "$WORK/c1.pmem"
	run "$W" --json "$C" "$B"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.result == "clean" and (.extents | length) == 0
		and .tail_written == false and .totals.bytes_written == 0'
	same_cache "$C" "$WORK/c1.pmem"
	cmp "$B" "$CLEAN_B"
	run "$W" "$C" "$B"
	[ "$status" -eq 0 ]
	[[ "$output" == *"clean: dirty_tail is at key_head 0:24720"* ]]
}

@test "an interrupted run is repeated safely" {
	# data copied but the tail not yet written: backing already clean
	cp --sparse=always "$CLEAN_B" "$B"
	chmod u+w "$B"
	run "$W" "$C" "$B"
	[ "$status" -eq 0 ]
	cmp "$B" "$CLEAN_B"
	# torn in the middle of the copy: part written, part garbage
	cp --sparse=always "$(fixture kcrc-crash.pmem)" "$C"
	chmod u+w "$C"
	head -c 65536 /dev/urandom | dd of="$B" bs=4096 seek=2048 \
		conv=notrunc status=none
	run "$W" "$C" "$B"
	[ "$status" -eq 0 ]
	cmp "$B" "$CLEAN_B"
}

@test "refuses a backing device smaller than the keys need" {
	truncate -s 200M "$B"
	stamp=$(stat -c %y "$B")
	run "$W" "$C" "$B"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"$B: backing device is 209715200 bytes"*"needs 213385216 bytes"* ]]
	same_cache "$C" "$ORIG_C"
	untouched "$B" "$stamp"
	run "$W" --json "$C" "$B"
	[ "$status" -eq 1 ]
	echo "$output" | grep -v '^pcache-writeback:' |
		jq -e '.result == "refused" and (.error | contains("backing"))'
}

@test "refuses a data CRC mismatch; --skip-bad writes the rest and reports it" {
	# corrupt the first byte of the first extent's cached data
	dev_off=$("$D" --json --replay --no-verify "$C" |
		jq '.replay.extents[0].dev_off')
	printf '\377' | dd of="$C" bs=1 seek="$dev_off" conv=notrunc status=none
	stamp=$(stat -c %y "$B")
	run "$W" "$C" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"extent 0+65536"*"data crc mismatch"* ]]
	[[ "$output" == *"extent 196608+851968"*"data crc mismatch"* ]]
	[[ "$output" == *"2 dirty extents fail their data CRC; nothing written"* ]]
	untouched "$B" "$stamp"
	run "$D" --json --replay "$C"
	[ "$status" -eq 1 ]
	echo "$output" | grep -v '^pcache-dump:' |
		jq -e '.replay.totals.crc_bad == 2 and
			.replay.extents[0].crc_state == "bad"'
	run "$W" --skip-bad --json "$C" "$B"
	[ "$status" -eq 0 ]
	# the W1 key (1 MiB at 0) is bad: both extents it still owns are
	# skipped; W6 (64 KiB .. 192 KiB) lies on top of it and is written
	echo "$output" | jq -e '.result == "written" and
		.totals.extents_skipped == 2 and .totals.bytes_skipped == 917504 and
		([.extents[] | select(.action == "skipped_bad_crc")] ==
		 [{"off": 0, "len": 65536, "seg": 1, "seg_off": 0,
		   "kset": {"seg": 0, "off": 0}, "action": "skipped_bad_crc",
		   "reason": "data crc mismatch"},
		  {"off": 196608, "len": 851968, "seg": 1, "seg_off": 196608,
		   "kset": {"seg": 0, "off": 0}, "action": "skipped_bad_crc",
		   "reason": "data crc mismatch"}]) and
		.totals.bytes_written == 8400896 - 917504'
	# everything but the skipped ranges is as the kernel wrote it back
	cmp -i 1048576 "$B" "$CLEAN_B"
	cmp -n 131072 -i 65536 "$B" "$CLEAN_B"
	cmp -n 65536 "$B" /dev/zero
	cmp -n 851968 -i 196608:0 "$B" /dev/zero
}

@test "--skip-bad warns on stderr once per skipped range" {
	dev_off=$("$D" --json --replay --no-verify "$C" |
		jq '.replay.extents[1].dev_off')
	printf '\377' | dd of="$C" bs=1 seek="$dev_off" conv=notrunc status=none
	run "$W" --skip-bad -n "$C" "$B"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'warning: .*skipping extent 65536+4096' <<< "$output")" -eq 1 ]
}

@test "generated log: after writeback the backing device is what readers saw" {
	G=$PCACHE_BIN/testtools/pcache-genlog
	[ -x "$G" ] || skip "no $G"
	img=$WORK/g.img
	bk=$WORK/g.backing
	# overlapping writes of random sizes, CLEAN fills, small ksets
	"$G" --image-size 512M --backing-size 64M --bs 64K --random-len --clean 20 \
		--flush-every 5 --data-crc --fill 4 "$img"
	truncate -s 64M "$bk"
	wb_equals_extract "$img" "$bk" 64M \
		'.result == "written" and .totals.extents > 100'
	# more writes: dirty_tail now lies in the middle of the log, and keys
	# before it are already on the backing device
	"$G" --append --seed 7 --backing-size 64M --bs 64K --random-len \
		--flush-every 3 --fill 2 "$img"
	wb_equals_extract "$img" "$bk" 64M '.result == "written" and
		.dirty_tail_before != {"seg": 0, "off": 0} and
		.dirty_tail_after == .key_head'
	run "$D" --json --superblock "$img"
	echo "$output" | jq -e '.summary.dirty == false and
		.summary.kernel_would_load'
}

@test "generated log: runs beyond one copy buffer, and buffers of many small runs" {
	G=$PCACHE_BIN/testtools/pcache-genlog
	[ -x "$G" ] || skip "no $G"
	img=$WORK/g.img
	bk=$WORK/g.backing
	# writes of 512 bytes to 2 KiB: thousands of runs per 4 MiB buffer
	"$G" --image-size 512M --backing-size 16M --bs 2K --random-len \
		--size 24M --data-crc "$img"
	cp "$img" "$WORK/g.orig"
	truncate -s 16M "$bk"
	wb_equals_extract "$img" "$bk" 16M \
		'.result == "written" and .totals.extents > 5000'
	# the same run through the buffers (devices behind libpmem2 are not
	# mapped by the writeback): the same report, the same bytes
	mapped=$output
	cp "$bk" "$WORK/bk.mapped"
	cp "$img" "$WORK/img.mapped"
	cp "$WORK/g.orig" "$img"
	rm "$bk"
	truncate -s 16M "$bk"
	PCACHE_FORCE_PMEM2=1 run "$W" --json "$img" "$bk"
	[ "$status" -eq 0 ]
	[ "$output" = "$mapped" ]
	cmp "$bk" "$WORK/bk.mapped"
	cmp "$img" "$WORK/img.mapped"
	# writes of up to 4 MiB: runs that span buffers, neighbours in the
	# cache read at once
	"$G" --append --seed 3 --backing-size 16M --bs 4M --random-len \
		--size 40M "$img"
	wb_equals_extract "$img" "$bk" 16M '.result == "written" and
		.totals.bytes_written == .totals.bytes_to_write'
}

# Append a sealed kset (host order, little-endian) at data offset OFF of
# cache segment 0 of IMAGE: "keys" with one key (off len seg), or "last N".
put_kset() {
	local py=/usr/bin/python3	# not a (slow) pyenv shim when possible
	[ -x "$py" ] || py=python3
	"$py" - "$@" <<'PY'
import struct, sys
def crc32c(data, crc=0x3B15A):
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc
img, off, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
magic = 0x676894A64E164F1A
if kind == "last":
    body = struct.pack("<IQQ", int(sys.argv[4]), magic, 1)
else:
    key = struct.pack("<QIIIIQII", int(sys.argv[4]), int(sys.argv[5]), 0,
                      int(sys.argv[6]), 0, 0, 0, 0)
    body = struct.pack("<IQQ", 1, magic, 0) + key
rec = struct.pack("<I", crc32c(body)) + body
with open(img, "r+b") as f:
    f.seek(20480 + 12288 + off)
    f.write(rec)
PY
}

@test "refuses what the kernel refuses: bad key, LAST out of range" {
	stamp=$(stat -c %y "$B")
	put_kset "$C" 24720 keys 0 4096 99
	run "$W" "$C" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"kset at 0:24720 key 0"*"cache_seg_id out of range"* ]]
	untouched "$B" "$stamp"
	run "$D" --json --superblock "$C"
	[ "$status" -eq 1 ]
	echo "$output" | grep -v '^pcache-dump:' |
		jq -e '.summary.kernel_would_load == false and
			(.summary.error | contains("cache_seg_id out of range"))'
	put_kset "$C" 24720 last 63
	run "$W" "$C" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"LAST link to cache segment 63 out of range"* ]]
	untouched "$B" "$stamp"
	# a valid LAST to an empty segment is simply followed
	put_kset "$C" 24720 last 5
	run "$W" --json "$C" "$B"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.key_head == {"seg": 5, "off": 0} and
		.dirty_tail_after == {"seg": 5, "off": 0}'
	cmp "$B" "$CLEAN_B"
}

@test "refuses a cache device in use (held open exclusively)" {
	[ "$(id -u)" = 0 ] || skip "needs root for a loop device"
	LOOP=$(losetup -f --show "$C" 2>/dev/null) || skip "no loop device"
	hold_exclusively "$LOOP"
	stamp=$(stat -c %y "$B")
	run "$W" "$LOOP" "$B"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "pcache-writeback: $LOOP: device is in use"* ]]
	untouched "$B" "$stamp"
}

# A cache that shrinks under the writeback (a file truncated by someone
# else, a device resized): its bytes are gone, and the writeback must fail
# without writing a byte of them, never take them for zeros and report the
# cache clean. The shim (tests/preload/shrink.c) truncates the image right
# after the writeback maps it (the verification's pass then faults) or
# before the first write (the mapped copy faults, the read copy meets the
# end of the file).
shrink_run() {	# AT DATA_CRC(0|1) [OPTION...]
	G=$PCACHE_BIN/testtools/pcache-genlog
	[ -x "$G" ] || skip "no $G"
	cc -shared -fPIC -O2 -o "$WORK/shrink.so" \
		"$BATS_TEST_DIRNAME/preload/shrink.c" -ldl
	img=$WORK/s.img
	bk=$WORK/s.backing
	"$G" --image-size 512M --backing-size 16M --bs 2K --random-len \
		--size 24M $([ "$2" = 1 ] && echo --data-crc) "$img" >/dev/null
	head -c 16M /dev/zero | tr '\0' '\252' >"$bk"
	cp "$bk" "$WORK/s.bk.orig"
	head -c 20480 "$img" >"$WORK/s.meta.orig"
	# 20 MiB: the metadata stays, cache segment 2 and most of 1 go
	LD_PRELOAD=$WORK/shrink.so ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0 \
		SHRINK_PATH=$img SHRINK_SIZE=20971520 SHRINK_AT=$1 \
		run "$W" "${@:3}" "$img" "$bk"
	[ "$(stat -c %s "$img")" -eq 20971520 ]	# the shim did shrink it
	[ "$status" -eq 1 ]
	cmp "$bk" "$WORK/s.bk.orig"
	# dirty_tail and everything else of the metadata as they were
	cmp "$WORK/s.meta.orig" <(head -c 20480 "$img")
}

@test "shrinks under the writeback: after the mapping, data CRCs: refused, nothing written" {
	shrink_run mmap 1
	[ "${lines[-1]}" = "pcache-writeback: $img: 9760 dirty extents cannot be read; nothing written (--skip-bad does not drop unreadable data)" ]
	[[ "$output" == *"): data unreadable"* ]]
	[[ "$output" != *"data crc mismatch"* ]]
}

@test "shrinks under the writeback: --skip-bad does not drop what cannot be read" {
	# before: the unreadable extents were skipped as "bad CRC", the rest
	# written and the cache marked clean, the unreadable data dropped
	shrink_run mmap 1 --skip-bad
	[ "${lines[-1]}" = "pcache-writeback: $img: 9760 dirty extents cannot be read; nothing written (--skip-bad does not drop unreadable data)" ]
}

@test "shrinks under the writeback: before the first write: the read meets the end, nothing written" {
	for crc in 1 0; do
		shrink_run pwritev $crc
		[[ "${lines[-1]}" == "pcache-writeback: $img: read of "*" bytes at offset "*" met the end of the device, which had 536870912 bytes when opened: it shrank" ]]
	done
}

@test "shrinks under the writeback: after the mapping, no data CRCs: nothing written" {
	shrink_run mmap 0
	[[ "${lines[-1]}" == *"met the end of the device, which had 536870912 bytes when opened: it shrank" ]]
}
