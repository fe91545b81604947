#!/usr/bin/env bats
# pcache-dump: usage and exit codes, the kernel-written fixtures decoded
# field by field (JSON parsed back with jq), --replay against the fixture
# notes, --extract against expect-sha256.txt, robustness on bad input.

load helpers

setup_file() {
	"$BATS_TEST_DIRNAME"/../tools/install-deps.sh dump >&2
}

setup() {
	D=$PCACHE_BIN/pcache-dump
	have_fixtures || skip "fixtures not found in $FIXTURES"
	CRASH=$(fixture kcrc-crash.pmem)
	CRASH_B=$(fixture kcrc-crash.backing)
	# scratch copies on tmpfs when there is one (a loaded disk is slow)
	WORK=$BATS_TEST_TMPDIR
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then
		WORK=$(mktemp -d /dev/shm/pcache-dump.XXXXXX)
	fi
}

teardown() {
	case ${WORK:-} in
	/dev/shm/pcache-dump.*) rm -rf "$WORK" ;;
	esac
}

# Merge "OFF END" lines (sorted) into a union of ranges.
merge() {
	sort -n | awk 'NR == 1 { a = $1; b = $2; next }
		$1 <= b { if ($2 > b) b = $2; next }
		{ print a, b; a = $1; b = $2 }
		END { if (NR) print a, b }'
}

@test "--help lists the options" {
	run "$D" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--replay"* ]]
	[[ "$output" == *"--extract"* ]]
}

@test "usage errors of dump's own options exit 16 and name the option" {
	run "$D" --extract 0 4096 "$CRASH"
	[ "$status" -eq 16 ]
	[[ "$output" == *"--backing"* ]]
	run "$D" --extract 0 "$CRASH"
	[ "$status" -eq 16 ]
	run "$D" --extract 0 4096 --extract 0 4096 --backing "$CRASH" "$CRASH"
	[ "$status" -eq 16 ]
	[[ "$output" == *"--extract: given twice"* ]]
	run "$D" --extract 0 4q --backing "$CRASH" "$CRASH"
	[ "$status" -eq 16 ]
	[[ "$output" == *"--extract: LENGTH: '4q' is not a size"* ]]
	run "$D" --from 3 "$CRASH"
	[ "$status" -eq 16 ]
	[[ "$output" == *"--from: expected SEG:OFF, got '3'"* ]]
	run "$D" --limit x "$CRASH"
	[ "$status" -eq 16 ]
	[[ "$output" == *"--limit: 'x' is not a number"* ]]
	run "$D" --segment 63 "$CRASH"
	[ "$status" -eq 16 ]
	[[ "$output" == *"n_segs 63"* ]]
}

@test "kcrc-crash: header fields in JSON" {
	run "$D" --json --superblock --backing "$CRASH_B" "$CRASH"
	[ "$status" -eq 0 ]
	echo "$output" > "$BATS_TEST_TMPDIR/d.json"
	jq -e 'keys_unsorted[0] == "__header"' "$BATS_TEST_TMPDIR/d.json"
	jq -e '.__header.tool == "pcache-dump" and .__header.version == 1' \
		"$BATS_TEST_TMPDIR/d.json"
	jq -e '.superblock.seg_num == 63 and .superblock.crc_match and
		.superblock.magic_ok and .superblock.valid' \
		"$BATS_TEST_TMPDIR/d.json"
	jq -e '.cache_info.chosen == 1 and .cache_info.reason == "only valid copy"
		and .cache_info.slots[0].state == "empty"
		and .cache_info.slots[1].state == "valid"
		and .cache_info.slots[1].seq == 1
		and .cache_info.decoded.data_crc == true
		and .cache_info.decoded.init_done == true
		and .cache_info.decoded.cache_mode == "writeback"
		and .cache_info.decoded.gc_percent == 70
		and .cache_info.decoded.n_segs == 63
		and .cache_info.decoded.flags == 4483' "$BATS_TEST_TMPDIR/d.json"
	jq -e '.tails.key_tail.pos == {"seg": 0, "off": 0} and
		.tails.dirty_tail.pos == {"seg": 0, "off": 0} and
		.tails.dirty_tail.chosen == 0 and
		(.tails.key_tail.slots | length) == 2' "$BATS_TEST_TMPDIR/d.json"
	jq -e '.summary.keys == 612 and .summary.ksets == 10 and
		.summary.last_ksets == 0 and .summary.stale_keys == 0 and
		.summary.key_head == {"seg": 0, "off": 24720} and
		.summary.segs_used == 3 and .summary.extents == 482 and
		.summary.cached_bytes == 8400896 and
		.summary.dirty_bytes == 8400896 and .summary.dirty == true and
		.summary.kernel_would_load == true and
		.summary.dirty_tail_on_log == true' "$BATS_TEST_TMPDIR/d.json"
	jq -e '.summary.dmsetup_status ==
		"0 524288 pcache 0 63 63 3 70 1183 0:24720 0:0 0:0"' \
		"$BATS_TEST_TMPDIR/d.json"
	jq -e --arg c "$CRASH" --arg b "$CRASH_B" '.dmsetup_table ==
		"0 524288 pcache \($c) \($b) 4 cache_mode writeback data_crc true"' \
		"$BATS_TEST_TMPDIR/d.json"
	jq -e '.device.size == 1073741824 and .device.backing_size == 268435456
		and .device.stage == "ready" and .device.open_error == null' \
		"$BATS_TEST_TMPDIR/d.json"
}

@test "kcrc-crash: human header shows both slots and the kernel's pick" {
	run "$D" --superblock "$CRASH"
	[ "$status" -eq 0 ]
	[[ "$output" == *"crc        0x097f12db [match]"* ]]
	[[ "$output" == *"slot 0   seq 0    crc 0x00000000 [expected 0xb9b69066]"*"empty"* ]]
	[[ "$output" == *"chosen   slot 1 (only valid copy)"* ]]
	[[ "$output" == *"data_crc yes, init_done yes, cache_mode writeback, gc_percent 70"* ]]
	[[ "$output" == *"pcache 0 63 63 3 70 1183 0:24720 0:0 0:0"* ]]
	[[ "$output" == *"data_crc true"* ]]
}

@test "kfresh: status line as the kernel printed it, no keys" {
	run "$D" --json --superblock "$(fixture kfresh.pmem)"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.summary.keys == 0 and .summary.dirty == false
		and .summary.key_head == {"seg": 0, "off": 0}
		and (.summary.dmsetup_status | endswith("pcache 0 63 63 1 70 1182 0:0 0:0 0:0"))
		and .cache_info.decoded.data_crc == false'
}

@test "segments: the chain, gens and what each segment holds" {
	run "$D" --json --segments "$CRASH"
	[ "$status" -eq 0 ]
	echo "$output" > "$BATS_TEST_TMPDIR/s.json"
	jq -e '(.segments | length) == 63' "$BATS_TEST_TMPDIR/s.json"
	jq -e '[.segments[] | .use] | .[0:4] == ["key", "data", "data", "free"]' \
		"$BATS_TEST_TMPDIR/s.json"
	jq -e '[.segments[] | .keys] | add == 612' "$BATS_TEST_TMPDIR/s.json"
	jq -e '[.segments[] | .live_bytes] | add == 8400896' \
		"$BATS_TEST_TMPDIR/s.json"
	jq -e '.segments[0].segment_info.chosen == 0 and
		.segments[0].segment_info.slots[0].seq == 2 and
		.segments[0].next_seg == 1 and .segments[0].has_next and
		.segments[62].has_next == false and
		.segments[62].segment_info.chosen == 1 and
		all(.segments[]; .gen == 0 and .generation.chosen == 1)' \
		"$BATS_TEST_TMPDIR/s.json"
	run "$D" --json --segment 1 "$CRASH"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.segment.cseg == 1 and .segment.use == "data" and
		.segment.keys == 433 and
		(.segment.extents | map(.len) | add) == .segment.live_bytes'
	run "$D" --segment 2 "$CRASH"
	[ "$status" -eq 0 ]
	[[ "$output" == *"segment 2 (physical 2"* ]]
	[[ "$output" == *"generation (slots at"* ]]
}

@test "log: every kset and key, --limit and --from" {
	run "$D" --json --log "$CRASH"
	[ "$status" -eq 0 ]
	echo "$output" > "$BATS_TEST_TMPDIR/l.json"
	jq -e '(.log.ksets | length) == 10 and
		([.log.ksets[].keys | length] | add) == 612 and
		([.log.ksets[].keys[] | select(.state == "clean")] | length) == 129 and
		.log.end.pos == {"seg": 0, "off": 24720} and
		.log.end.reason == "no kset magic" and .log.truncated == false and
		all(.log.ksets[]; .written_back == false and .kind == "keys") and
		all(.log.ksets[].keys[]; .check == "ok" and .stale == false)' \
		"$BATS_TEST_TMPDIR/l.json"
	# ksets are contiguous: each starts where the previous one ended
	jq -e '([.log.ksets[] | .pos.off + .size] | .[0:9]) ==
		([.log.ksets[] | .pos.off] | .[1:10])' "$BATS_TEST_TMPDIR/l.json"
	run "$D" --json --log --limit 2 "$CRASH"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '(.log.ksets | length) == 2 and .log.truncated and
		.log.end.reason == "limit"'
	run "$D" --json --from 0:64 --limit 1 "$CRASH"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.log.ksets[0].pos == {"seg": 0, "off": 64} and
		.log.ksets[0].key_num == 8 and .log.ksets[0].written_back == null'
	# a position inside a kset is simply no kset
	run "$D" --json --from 0:72 "$CRASH"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '(.log.ksets | length) == 0'
	run "$D" --from 63:0 "$CRASH"
	[ "$status" -eq 1 ]
	run "$D" --from 0:16764928 "$CRASH"
	[ "$status" -eq 1 ]
}

@test "replay kcrc-crash: exactly the written, not written back ranges" {
	run "$D" --json --replay "$CRASH"
	[ "$status" -eq 0 ]
	echo "$output" > "$BATS_TEST_TMPDIR/r.json"
	jq -e '(.replay.extents | length) == 482 and
		.replay.totals.extents == 482 and
		.replay.totals.cached_bytes == 8400896 and
		.replay.totals.dirty_bytes == 8400896 and
		.replay.totals.clean_bytes == 0 and
		.replay.totals.keys == 612 and .replay.totals.stale_keys == 0 and
		.replay.totals.crc_ok == 482 and .replay.totals.crc_bad == 0 and
		all(.replay.extents[]; .dirty and .crc_state == "ok") and
		([.replay.extents[].len] | add) == 8400896' "$BATS_TEST_TMPDIR/r.json"
	# sorted and disjoint
	jq -e '[.replay.extents[] | [.off, .off + .len]] |
		[range(1; length) as $i | .[$i][0] >= .[$i - 1][1]] | all' \
		"$BATS_TEST_TMPDIR/r.json"
	# The union of the extents is the union of the manifest's writes,
	# widened only to whole 4 KiB pages around the 512-byte writes of W5.
	jq -r '.replay.extents[] | "\(.off) \(.off + .len)"' \
		"$BATS_TEST_TMPDIR/r.json" | merge > "$BATS_TEST_TMPDIR/got"
	grep -v '^#' "$FIXTURES/manifest.txt" |
		awk '{ a = $2; b = $2 + $3; a -= a % 4096;
			if (b % 4096) b += 4096 - b % 4096; print a, b }' |
		merge > "$BATS_TEST_TMPDIR/want"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
}

@test "replay kcrc-clean: same index, nothing dirty" {
	run "$D" --json --replay "$(fixture kcrc-clean.pmem)"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.replay.totals.extents == 482 and
		.replay.totals.dirty_bytes == 0 and
		.replay.totals.clean_bytes == 8400896 and
		.replay.dirty_tail == {"seg": 0, "off": 24720} and
		all(.replay.extents[]; .dirty == false)'
}

@test "replay human form, --limit and --no-verify" {
	run "$D" --replay --limit 3 "$CRASH"
	[ "$status" -eq 0 ]
	[[ "$output" == *"(479 more extents not shown: --limit)"* ]]
	[[ "$output" == *"totals: 482 extents; cached 8400896 bytes"* ]]
	[[ "$output" == *"482 ok, 0 bad"* ]]
	run "$D" --json --replay --no-verify "$CRASH"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.replay.totals.crc_unchecked == 482 and
		(.replay.extents | length) == 482'
}

@test "--extract of every manifest range matches expect-sha256.txt" {
	while read -r off len sha; do
		got=$("$D" --backing "$CRASH_B" --extract "$off" "$len" "$CRASH" |
			sha256sum | cut -d' ' -f1)
		[ "$got" = "$sha" ]
	done < "$FIXTURES/expect-sha256.txt"
	# and from the clean image with its written-back backing device
	read -r off len sha < "$FIXTURES/expect-sha256.txt"
	got=$("$D" --backing "$(fixture kcrc-clean.backing)" --extract "$off" \
		"$len" "$(fixture kcrc-clean.pmem)" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$sha" ]
}

@test "--extract: uncached ranges come from the backing device; bounds" {
	# 4 KiB before W2 (uncached) then 4 KiB of W2
	"$D" --backing "$CRASH_B" --extract 8384512 8192 "$CRASH" > \
		"$BATS_TEST_TMPDIR/x"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/x")" -eq 8192 ]
	[ "$(bytes_at "$BATS_TEST_TMPDIR/x" 0 4096 | tr -d 0)" = "" ]
	[ "$(bytes_at "$BATS_TEST_TMPDIR/x" 4096 16 | tr -d 0)" != "" ]
	run "$D" --backing "$CRASH_B" --extract 268431360 8192 "$CRASH"
	[ "$status" -eq 1 ]
	[[ "$output" == *"beyond the end of the backing device"* ]]
	run "$D" --backing "$CRASH_B" --extract 0 0 "$CRASH"
	[ "$status" -eq 0 ]
}

@test "a closed pipe ends output quietly" {
	run bash -c "'$D' '$CRASH' | head -1"
	[ "$status" -eq 0 ]
	[ "$output" = "device       $CRASH (file, 1073741824 bytes, 1.00 GiB)" ]
	run bash -c "'$D' --backing '$CRASH_B' --extract 0 1048576 '$CRASH' | head -c 10 | wc -c"
	[ "$output" = "10" ]
}

@test "bad input: short file, unformatted, foreign magic, garbage log" {
	sparse "$BATS_TEST_TMPDIR/small" 1M
	run "$D" "$BATS_TEST_TMPDIR/small"
	[ "$status" -eq 1 ]
	[[ "$output" == *"below the minimum"* ]]
	sparse "$BATS_TEST_TMPDIR/zero" 512M
	run "$D" --json "$BATS_TEST_TMPDIR/zero"
	[ "$status" -eq 1 ]
	echo "$output" | grep -v '^pcache-dump:' |
		jq -e '.superblock.magic == 0 and .ok == false and
			.device.stage == "none" and .cache_info == null'
	head -c 24 /dev/urandom | dd of="$BATS_TEST_TMPDIR/zero" bs=1 \
		seek=4096 conv=notrunc status=none
	run "$D" "$BATS_TEST_TMPDIR/zero"
	[ "$status" -eq 1 ]
	[[ "$output" == *"magic"* ]]
	# random bytes over the first ksets: the log simply ends there
	cp --sparse=always "$CRASH" "$WORK/g.pmem"
	chmod u+w "$WORK/g.pmem"
	head -c 8192 /dev/urandom | dd of="$WORK/g.pmem" bs=4096 \
		seek=$(( (20480 + 12288) / 4096 )) conv=notrunc status=none
	run "$D" --json --log --replay "$WORK/g.pmem"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '(.log.ksets | length) == 0 and
		.replay.totals.extents == 0'
}

@test "bad input: random metadata never crashes the tool" {
	cp --sparse=always "$CRASH" "$WORK/f.pmem"
	chmod u+w "$WORK/f.pmem"
	for i in 1 2 3; do
		# cache_info, tails, segment 0 and 1 metadata, log head
		for off in 8192 12288 16384 16416 20480 24576 28672 \
			   16797696 32768; do
			head -c 64 /dev/urandom | dd of="$WORK/f.pmem" \
				bs=1 seek=$((off + RANDOM % 32)) conv=notrunc \
				status=none
		done
		run "$D" --json --replay --segments --log "$WORK/f.pmem"
		[ "$status" -le 1 ]
		run "$D" "$WORK/f.pmem"
		[ "$status" -le 1 ]
	done
}

@test "a lazily formatted cache: exit 0 as pcache-fsck, nothing past the superblock yet" {
	sparse "$WORK/lazy" 1G
	"$PCACHE_BIN/pcache-format" -q --lazy "$WORK/lazy"
	run "$PCACHE_BIN/pcache-fsck" "$WORK/lazy"
	[ "$status" -eq 0 ]
	run "$D" "$WORK/lazy"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == "$WORK/lazy: formatted lazily: the kernel initialises the segments at first activation; no segments or log yet" ]]
	run "$D" --json --replay "$WORK/lazy"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.ok and .exit_code == 0 and .error == null'
}

@test "--replay that fails says why on stderr" {
	cp "$CRASH" "$WORK/bad.pmem"
	off=$("$D" -r -j "$WORK/bad.pmem" | jq '.replay.extents[0].dev_off')
	printf '\xff\xff\xff\xff' | dd of="$WORK/bad.pmem" bs=1 seek="$off" \
		conv=notrunc status=none
	# the key's data is split into two extents by a newer write
	run "$D" -r --limit 1 "$WORK/bad.pmem"
	[ "$status" -eq 1 ]
	[[ "$output" == *"pcache-dump: $WORK/bad.pmem: --replay: 2 extents failed the data CRC, 0 could not be read"* ]]
	run "$D" -r --json "$WORK/bad.pmem"
	[ "$status" -eq 1 ]
	echo "$output" | sed -n '/^{/,/^}/p' | jq -e '.exit_code == 1 and
		(.error | contains("data CRC"))'
}
