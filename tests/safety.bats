#!/usr/bin/env bats
# Ordinary mistakes must not destroy dirty data (issue 16): one device
# given twice (by the same path, ./path, a symlink, a hard link, a loop
# device), a backing device that is itself a cache, a benchmark aimed at a
# cache, and two tools at once on one image. Every refusal is checked by
# the sha256 of both devices before and after, the exact exit code, and a
# message naming the device.

load helpers

setup() {
	W=$PCACHE_BIN/pcache-writeback
	K=$PCACHE_BIN/pcache-fsck
	D=$PCACHE_BIN/pcache-dump
	F=$PCACHE_BIN/pcache-format
	BENCH=$PCACHE_BIN/pcache-bench
	have_fixtures || skip "fixtures not found in $FIXTURES"
	WORK=$BATS_TEST_TMPDIR
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then
		WORK=$(mktemp -d /dev/shm/pcache-safety.XXXXXX)
	fi
	C=$WORK/c.pmem
	B=$WORK/b.img
	cp --sparse=always "$(fixture kcrc-crash.pmem)" "$C"
	cp --sparse=always "$(fixture kcrc-crash.backing)" "$B"
	chmod u+w "$C" "$B"
	LOOPS=()
}

teardown() {
	if [ -n "${HOLDER:-}" ]; then
		kill "$HOLDER" 2>/dev/null || true
		wait "$HOLDER" 2>/dev/null || true
	fi
	for l in "${LOOPS[@]}"; do
		losetup -d "$l" 2>/dev/null || true
	done
	case ${WORK:-} in
	/dev/shm/pcache-safety.*) rm -rf "$WORK" ;;
	esac
}

# Remember the sums of the cache and the backing image.
snap() {
	SUM_C=$(sum "$C")
	SUM_B=$(sum "$B")
}

# Both images still hold what snap() saw.
unchanged() {
	[ "$(sum "$C")" = "$SUM_C" ]
	[ "$(sum "$B")" = "$SUM_B" ]
}

# A loop device over $1 in LOOP, or skip saying why.
loop_over() {
	local out
	[ "$(id -u)" = 0 ] || skip "needs root for a loop device"
	out=$(losetup -f --show "$1" 2>&1) ||
		skip "losetup cannot bind a loop device: $out"
	LOOP=$out
	LOOPS+=("$LOOP")
}

# Run "$@" under flock(1) holding $2 ($1 = -s or -x) in the background
# until killed; HOLDER is flock's pid, which /proc/locks names.
hold_lock() {
	local ready=$WORK/held.$RANDOM
	flock "$1" "$2" -c "echo held > '$ready'; exec sleep 60" &
	HOLDER=$!
	for _ in $(seq 50); do
		[ -s "$ready" ] && return 0
		sleep 0.1
	done
	return 1
}

same_device_refused() {
	local tool=$1 code=$2 a=$3 b=$4
	shift 4
	snap
	run "$@"
	echo "$output"
	[ "$status" -eq "$code" ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "$tool: $a and $b are the same device ("*")" ]]
	unchanged
}

@test "writeback: the same path twice is refused (1), both unchanged" {
	same_device_refused pcache-writeback 1 "$C" "$C" "$W" "$C" "$C"
}

@test "writeback: path and ./path are refused (1)" {
	cd "$WORK"
	same_device_refused pcache-writeback 1 c.pmem ./c.pmem \
		"$W" c.pmem ./c.pmem
}

@test "writeback: a symlink to the cache is refused (1), also with -n" {
	ln -s "$C" "$WORK/link"
	same_device_refused pcache-writeback 1 "$C" "$WORK/link" \
		"$W" "$C" "$WORK/link"
	same_device_refused pcache-writeback 1 "$WORK/link" "$C" \
		"$W" -n "$WORK/link" "$C"
}

@test "writeback: a hard link to the cache is refused (1)" {
	ln "$C" "$WORK/hard"
	same_device_refused pcache-writeback 1 "$C" "$WORK/hard" \
		"$W" "$C" "$WORK/hard"
	[[ "$output" == *"(the same file)" ]]
}

@test "writeback: a loop device over the cache image, either way, is refused (1)" {
	loop_over "$C"
	same_device_refused pcache-writeback 1 "$C" "$LOOP" "$W" "$C" "$LOOP"
	[[ "$output" == *"(the same file, through a loop device)" ]]
	same_device_refused pcache-writeback 1 "$LOOP" "$C" "$W" "$LOOP" "$C"
}

@test "writeback: two loop devices over the same image are refused (1)" {
	loop_over "$C"
	first=$LOOP
	loop_over "$C"
	same_device_refused pcache-writeback 1 "$first" "$LOOP" \
		"$W" "$first" "$LOOP"
}

@test "fsck --backing: the cache device again is refused (8), also with -y" {
	same_device_refused pcache-fsck 8 "$C" "$C" "$K" --backing "$C" "$C"
	ln -s "$C" "$WORK/link"
	same_device_refused pcache-fsck 8 "$C" "$WORK/link" \
		"$K" -y --backing "$WORK/link" "$C"
}

@test "fsck --backing: a loop device over the cache image is refused (8)" {
	loop_over "$C"
	same_device_refused pcache-fsck 8 "$C" "$LOOP" "$K" --backing "$LOOP" "$C"
}

@test "dump --backing: the cache device again is refused (1)" {
	cd "$WORK"
	same_device_refused pcache-dump 1 c.pmem ./c.pmem \
		"$D" --backing ./c.pmem c.pmem
	same_device_refused pcache-dump 1 c.pmem c.pmem \
		"$D" --backing c.pmem --extract 0 4096 c.pmem
}

@test "writeback: a backing device holding a cache is refused (1); --force writes it" {
	cp --sparse=always "$(fixture kfresh.pmem)" "$B"
	snap
	run "$W" "$C" "$B"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-writeback: $B: the backing device holds a dm-pcache superblock; refusing to write dirty data over it (--force overrides)" ]
	unchanged
	run "$W" -n "$C" "$B"
	[ "$status" -eq 1 ]
	unchanged
	run "$W" --force "$C" "$B"
	[ "$status" -eq 0 ]
	[ "$(sum "$C")" != "$SUM_C" ]
	[ "$(sum "$B")" != "$SUM_B" ]
}

@test "writeback: a backing cache whose superblock is zeroed is still refused (1)" {
	cp --sparse=always "$(fixture kfresh.pmem)" "$B"
	dd if=/dev/zero of="$B" bs=4096 seek=1 count=4 conv=notrunc status=none
	snap
	run "$W" "$C" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == "pcache-writeback: $B: the backing device holds dm-pcache metadata (superblock without the magic; valid copies: 0 cache_info, 0 tail; 16 of the first 16 segments with a valid segment_info, 0 starting with a kset); refusing"* ]]
	unchanged
}

@test "bench io: writing a cache image is refused (1); reading is not; --force writes" {
	snap
	run "$BENCH" io --size 1M "$C"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-bench: $C: holds a dm-pcache superblock; refusing to write (use --force)" ]
	run "$BENCH" io --rw write --size 1M "$C"
	[ "$status" -eq 1 ]
	unchanged
	run "$BENCH" io --rw randread --size 1M "$C"
	[ "$status" -eq 0 ]
	unchanged
	run "$BENCH" io --force --rw write --size 64k "$C"
	[ "$status" -eq 0 ]
	[ "$(sum "$C")" != "$SUM_C" ]
}

@test "bench io: a cache with a zeroed superblock is still refused (1)" {
	dd if=/dev/zero of="$C" bs=4096 seek=1 count=4 conv=notrunc status=none
	snap
	run "$BENCH" io --size 1M "$C"
	[ "$status" -eq 1 ]
	[[ "$output" == "pcache-bench: $C: holds dm-pcache metadata ("*"16 of the first 16 segments with a valid segment_info"*"); refusing to write (use --force)" ]]
	unchanged
}

@test "bench lib: a cache image is refused (1), unchanged" {
	snap
	run "$BENCH" lib --format-size 0 --crc-size 64k --min-time 0 --ksets 1 "$C"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-bench: $C: holds a dm-pcache superblock; refusing to write (use --force)" ]
	unchanged
}

@test "bench lib: an existing non-empty file is refused (1); a new or empty one is used" {
	head -c 1048576 /dev/urandom > "$B"
	snap
	run "$BENCH" lib --format-size 0 --crc-size 64k --min-time 0 --ksets 1 "$B"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-bench: $B: exists and is not empty (1048576 bytes); refusing to overwrite it (use --force, or name a new or empty file)" ]
	unchanged
	: > "$WORK/empty"
	run "$BENCH" lib --quiet --format-size 0 --crc-size 64k --min-time 0 \
		--ksets 1 "$WORK/empty"
	[ "$status" -eq 0 ]
	[ "$(stat -c %s "$WORK/empty")" = 1073741824 ]
}

@test "bench lib: an existing IMAGE.max is refused too (1), unchanged" {
	head -c 4096 /dev/urandom > "$WORK/new.max"
	before=$(sum "$WORK/new.max")
	run "$BENCH" lib --format-size 512M --crc-size 64k --min-time 0 \
		--ksets 1 "$WORK/new"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-bench: $WORK/new.max: exists and is not empty (4096 bytes); refusing to overwrite it (use --force, or name a new or empty file)" ]
	[ "$(sum "$WORK/new.max")" = "$before" ]
	[ ! -e "$WORK/new" ]
}

@test "locks: writers are refused while another process holds the cache, naming it" {
	hold_lock -x "$C"
	snap
	run "$W" "$C" "$B"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-writeback: $C: locked by flock (pid $HOLDER)" ]
	run "$K" -y "$C"
	[ "$status" -eq 8 ]
	[ "$output" = "pcache-fsck: $C: locked by flock (pid $HOLDER)" ]
	run "$F" --force --discard-dirty "$C"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-format: $C: locked by flock (pid $HOLDER)" ]
	run "$BENCH" io --force --size 64k "$C"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-bench: $C: locked by flock (pid $HOLDER)" ]
	# readers wait for no writer either: refused at once
	run "$K" -n "$C"
	[ "$status" -eq 8 ]
	[ "$output" = "pcache-fsck: $C: locked by flock (pid $HOLDER)" ]
	run "$D" --superblock "$C"
	[ "$status" -eq 1 ]
	unchanged
}

@test "locks: the backing device of writeback is locked exclusively too" {
	hold_lock -s "$B"
	snap
	run "$W" "$C" "$B"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-writeback: $B: locked by flock (pid $HOLDER)" ]
	unchanged
	# a dry run only reads it
	run "$W" -n "$C" "$B"
	[ "$status" -eq 0 ]
	unchanged
}

@test "locks: readers coexist with readers, writers are refused" {
	hold_lock -s "$C"
	snap
	run "$K" -n --backing "$B" "$C"
	[ "$status" -eq 0 ]
	run "$D" --superblock --backing "$B" "$C"
	[ "$status" -eq 0 ]
	run "$W" -n "$C" "$B"
	[ "$status" -eq 0 ]
	run "$BENCH" io --rw read --size 64k "$C"
	[ "$status" -eq 0 ]
	run "$K" -p "$C"
	[ "$status" -eq 8 ]
	[ "$output" = "pcache-fsck: $C: locked by flock (pid $HOLDER)" ]
	run "$W" "$C" "$B"
	[ "$status" -eq 1 ]
	unchanged
}

@test "locks: a pcache tool at work is named as the holder" {
	sparse "$WORK/f" 1M
	"$BENCH" io --quiet --rw write --runtime 30 --size 1M "$WORK/f" \
		> /dev/null &
	HOLDER=$!
	for _ in $(seq 50); do
		grep -q " $HOLDER " /proc/locks && break
		sleep 0.1
	done
	run "$K" "$WORK/f"
	[ "$status" -eq 8 ]
	[ "$output" = "pcache-fsck: $WORK/f: locked by pcache-bench (pid $HOLDER)" ]
}

@test "locks: a loop device over a locked image is refused too, naming both" {
	loop_over "$C"
	hold_lock -x "$C"
	snap
	run "$W" "$LOOP" "$B"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-writeback: $LOOP (loop device over $C): locked by flock (pid $HOLDER)" ]
	run "$K" -n "$LOOP"
	[ "$status" -eq 8 ]
	[ "$output" = "pcache-fsck: $LOOP (loop device over $C): locked by flock (pid $HOLDER)" ]
	run "$BENCH" io --force --rw write --size 64k "$LOOP"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-bench: $LOOP (loop device over $C): locked by flock (pid $HOLDER)" ]
	unchanged
}
