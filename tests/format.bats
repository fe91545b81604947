#!/usr/bin/env bats
# pcache-format: exit codes, refusals that leave the device unchanged,
# byte identity with the kernel's own format, options and JSON.

load helpers

setup() {
	F=$PCACHE_BIN/pcache-format
	IMG=$BATS_TEST_TMPDIR/cache.img
}

@test "--help lists the options and exits 0" {
	run "$F" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--data-crc"* ]]
	[[ "$output" == *"--gc-percent"* ]]
	[[ "$output" == *"--lazy"* ]]
}

@test "a device below 512 MiB is refused and left unchanged" {
	sparse "$IMG" 511M
	printf 'keep' | dd of="$IMG" bs=1 seek=4096 conv=notrunc status=none
	before=$(sum "$IMG")
	run "$F" --force "$IMG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$IMG: device size 535822336 bytes is below the minimum"* ]]
	[ "$(sum "$IMG")" = "$before" ]
}

@test "bad option values are usage errors (1, as mke2fs) that write nothing" {
	sparse "$IMG" 1G
	run "$F" --gc-percent 91 "$IMG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--gc-percent: '91' is not a number in 0-90"* ]]
	run "$F" --gc-percent abc "$IMG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--gc-percent: 'abc' is not a number in 0-90"* ]]
	for n in 0 1; do
		run "$F" --segments $n "$IMG"
		[ "$status" -eq 1 ]
		[[ "$output" == *"--segments: '$n' is not a number in 2-1048576"* ]]
	done
	run "$F" --discard-dirty "$IMG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--discard-dirty needs --force"* ]]
	[ "$(stat -c %b "$IMG")" -eq 0 ]
}

@test "1 GiB: identical to the image the kernel formats (kfresh)" {
	have_fixtures || skip "no fixtures"
	sparse "$IMG" 1G
	run "$F" -q "$IMG"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(sum "$IMG")" = "$(sum "$(fixture kfresh.pmem)")" ]
}

@test "data crc: only cache_info differs, as in Appendix A" {
	sparse "$IMG" 1G
	"$F" -q --data-crc "$IMG"
	[ "$(bytes_at "$IMG" 12288 24)" = "6c33a5a601000000000000003f0000008311000000000000" ]
	[ "$(bytes_at "$IMG" 4096 24)" = "db127f0900000000ef96c596fa5eb0653f00000000000000" ]
}

@test "the superblock and segment records are the kernel's" {
	sparse "$IMG" 1G
	"$F" -q "$IMG"
	[ "$(bytes_at "$IMG" 16384 16)" = "b0dff56e010000000000000000000000" ]
	[ "$(bytes_at "$IMG" 16416 16)" = "b0dff56e010000000000000000000000" ]
	[ "$(bytes_at "$IMG" $((0x5000)) 16)" = "318e663b020000000300000001000000" ]
	[ "$(bytes_at "$IMG" $((0x1005000)) 16)" = "08074459020000000300000002000000" ]
	[ "$(bytes_at "$IMG" $((0x3D005000)) 16)" = "abf063ea02000000030000003e000000" ]
	[ "$(bytes_at "$IMG" $((0x3E006000)) 16)" = "fe258dfc010000000200000000000000" ]
	[ "$(bytes_at "$IMG" $((0x3E005000)) 16)" = "00000000000000000000000000000000" ]
	[ "$(bytes_at "$IMG" $((0x7010)) 16)" = "b0dff56e010000000000000000000000" ]
}

@test "formatting a sparse image writes only metadata" {
	sparse "$IMG" 4G
	"$F" -q "$IMG"
	# 255 segments x 3 pages + the header pages, in 512-byte blocks
	[ "$(stat -c %b "$IMG")" -le $(( (255 * 3 + 5) * 8 )) ]
}

@test "an existing clean cache is refused without --force, unchanged" {
	sparse "$IMG" 1G
	"$F" -q "$IMG"
	before=$(sum "$IMG")
	run "$F" --data-crc "$IMG"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-format: $IMG: contains a clean dm-pcache cache (63 segments, 0 B cached); refusing (--force overrides)" ]
	[ "$(sum "$IMG")" = "$before" ]
	run "$F" -q --force --data-crc "$IMG"
	[ "$status" -eq 0 ]
	[ "$(bytes_at "$IMG" $((12288 + 16)) 4)" = "83110000" ]
}

@test "a cache holding dirty data needs --force --discard-dirty" {
	have_fixtures || skip "no fixtures"
	cp --sparse=always "$(fixture kcrc-crash.pmem)" "$IMG"
	chmod u+w "$IMG"
	before=$(sum "$IMG")
	run "$F" --force "$IMG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"8.01 MiB of dirty data not yet written back (8400896 bytes)"* ]]
	[[ "$output" == *"--force --discard-dirty overrides"* ]]
	[ "$(sum "$IMG")" = "$before" ]
	run "$F" -q --force --discard-dirty "$IMG"
	[ "$status" -eq 0 ]
	# header and segment 0 metadata up to the log terminator as a kernel
	# format leaves them; the old log beyond the terminator is not erased
	cmp -n $((20480 + 12312)) "$IMG" "$(fixture kfresh.pmem)"
}

@test "a filesystem signature is refused, unchanged; --force overrides" {
	command -v mkfs.ext4 >/dev/null || skip "no mkfs.ext4"
	sparse "$IMG" 600M
	mkfs.ext4 -q -F -L keepme "$IMG"
	before=$(sum "$IMG")
	run "$F" "$IMG"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-format: $IMG: contains a ext4 signature labelled 'keepme'; refusing (--force overrides, or wipefs -a first)" ]
	[ "$(sum "$IMG")" = "$before" ]
	run "$F" -q --force "$IMG"
	[ "$status" -eq 0 ]
	run blkid -p "$IMG"
	[[ "$output" != *ext4* ]]
}

@test "--dry-run writes nothing and reports the layout as JSON" {
	sparse "$IMG" 2G
	run "$F" --dry-run --json --data-crc --gc-percent 0 --segments 100 "$IMG"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | json 'd["__header"]["tool"]')" = pcache-format ]
	[ "$(echo "$output" | json 'd["written"]')" = False ]
	[ "$(echo "$output" | json 'd["seg_num"]')" = 100 ]
	[ "$(echo "$output" | json 'd["seg_fit"]')" = 127 ]
	[ "$(echo "$output" | json 'd["cache_info_flags"]')" = $((0x3)) ]
	[ "$(echo "$output" | json 'd["table"]')" = "0 <backing sectors> pcache $IMG <backing device> 4 cache_mode writeback data_crc true" ]
	[ "$(stat -c %b "$IMG")" -eq 0 ]
}

@test "--segments and --gc-percent land in the superblock and cache_info" {
	sparse "$IMG" 2G
	run "$F" -q --segments 40 --gc-percent 35 "$IMG"
	[ "$status" -eq 0 ]
	[ "$(bytes_at "$IMG" $((4096 + 16)) 4)" = "28000000" ]
	# n_segs 40, flags: gc 35 << 6 | INIT_DONE = 0x8c2
	[ "$(bytes_at "$IMG" $((12288 + 12)) 8)" = "28000000c2080000" ]
	# the chain ends at segment 39
	[ "$(bytes_at "$IMG" $((20480 + 39 * 16777216)) 16)" = "00000000000000000000000000000000" ]
	run "$F" -q --force --segments 128 "$IMG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"segments: 128 requested, but the device holds at most 127"* ]]
}

@test "--lazy writes the superblock and a cache_info without INIT_DONE" {
	sparse "$IMG" 1G
	run "$F" -q --lazy --data-crc --gc-percent 50 "$IMG"
	[ "$status" -eq 0 ]
	[ "$(bytes_at "$IMG" 4096 24)" = "db127f0900000000ef96c596fa5eb0653f00000000000000" ]
	# slot 0, seq 0, n_segs 63, flags: gc 50 << 6 | DATA_CRC = 0xc81
	[ "$(bytes_at "$IMG" $((8192 + 4)) 20)" = "00000000000000003f000000810c000000000000" ]
	[ "$(bytes_at "$IMG" 12288 24)" = "000000000000000000000000000000000000000000000000" ]
	[ "$(bytes_at "$IMG" 20480 16)" = "00000000000000000000000000000000" ]
}

@test "the libpmem2 path (used for devdax and DAX files) writes the same image" {
	have_fixtures || skip "no fixtures"
	sparse "$IMG" 1G
	PCACHE_FORCE_PMEM2=1 run "$F" -q "$IMG"
	[ "$status" -eq 0 ]
	[ "$(sum "$IMG")" = "$(sum "$(fixture kfresh.pmem)")" ]
	# reading through it: the existing cache is seen and refused
	PCACHE_FORCE_PMEM2=1 run "$F" "$IMG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"contains a clean dm-pcache cache (63 segments, 0 B cached)"* ]]
}

# A loop device over an image: the block-device path (size by ioctl,
# exclusive open, DAX check) without pmem.
loop_over() {
	[ "$(id -u)" = 0 ] || skip "needs root for a loop device"
	LOOP=$(losetup -f --show "$1" 2>/dev/null) || skip "no loop device"
}

teardown() {
	[ -n "${HOLDER:-}" ] && kill "$HOLDER" 2>/dev/null
	[ -n "${LOOP:-}" ] && losetup -d "$LOOP" 2>/dev/null
	true
}

@test "a block device: formatted like an image, with a warning that it lacks DAX" {
	have_fixtures || skip "no fixtures"
	sparse "$IMG" 1G
	loop_over "$IMG"
	run "$F" -q "$LOOP"
	[ "$status" -eq 0 ]
	[ "$output" = "pcache-format: warning: $LOOP does not support DAX; the kernel will refuse it as a cache device (EOPNOTSUPP)" ]
	losetup -d "$LOOP"
	LOOP=
	[ "$(sum "$IMG")" = "$(sum "$(fixture kfresh.pmem)")" ]
}

@test "a block device in use (held open exclusively) is refused, unchanged" {
	sparse "$IMG" 1G
	loop_over "$IMG"
	hold_exclusively "$LOOP"
	run "$F" --force "$LOOP"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-format: $LOOP: device is in use (mounted, mapped by device-mapper or opened exclusively)" ]
	[ "$(stat -c %b "$IMG")" -eq 0 ]
}
