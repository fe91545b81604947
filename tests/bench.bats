#!/usr/bin/env bats
# pcache-bench: exit codes, refusals that leave the target unchanged, exact
# I/O counts of short runs, the JSON documents' fields, Ctrl-C. No test
# looks at a timing figure: benchmarks print them, tests never judge them.

load helpers

setup() {
	B=$PCACHE_BIN/pcache-bench
	# scratch files on tmpfs when there is one: a loaded, filling disk
	# made the run slow (and the images' writeback unpredictable)
	WORK=$BATS_TEST_TMPDIR
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then
		WORK=$(mktemp -d /dev/shm/pcache-bench.XXXXXX)
	fi
	F=$WORK/target.img
}

teardown() {
	case $WORK in
	/dev/shm/pcache-bench.*) rm -rf "$WORK" ;;
	esac
}

# jq comes from tools/deps/bench.txt; without it the JSON tests skip.
need_jq() {
	command -v jq >/dev/null || skip "jq is not installed (tools/install-deps.sh bench)"
}

# A JSON field of the document in $output, through jq.
jf() {
	printf '%s' "$output" | jq -r "$1"
}

ext4_image() {
	sparse "$1" 8M
	mkfs.ext4 -q -F "$1"
}

@test "--help and --version exit 0" {
	run "$B" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"io DEVICE"* ]]
	[[ "$output" == *"lib [IMAGE]"* ]]
	run "$B" --version
	[ "$status" -eq 0 ]
	[ "$output" = "pcache-bench (pcache-tools) $(cat "$REPO/VERSION")" ]
	run "$B" io --version
	[ "$output" = "pcache-bench (pcache-tools) $(cat "$REPO/VERSION")" ]
}

@test "io --help lists every workload option" {
	run "$B" io --help
	[ "$status" -eq 0 ]
	for o in --rw --bs --jobs --iodepth --size --runtime --direct \
		--fsync-every --seed --json --force; do
		[[ "$output" == *"$o"* ]]
	done
	run "$B" lib --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--format-size"* ]]
	run "$B" io -h
	[ "$status" -eq 0 ]
	[[ "$output" == "Usage: pcache-bench io [OPTION...] DEVICE"* ]]
}

@test "usage errors exit 16 and name the problem" {
	run "$B"
	[ "$status" -eq 16 ]
	run "$B" frobnicate
	[ "$status" -eq 16 ]
	[[ "$output" == *"unknown command 'frobnicate'"* ]]
	run "$B" lib --bogus
	[ "$status" -eq 16 ]
	[[ "$output" == "pcache-bench: --bogus: unknown option"* ]]
}

@test "bad option values exit 16 and name the option" {
	sparse "$F" 1M
	for bad in "--rw sideways" "--bs 0" "--bs 4q" "--jobs 0" \
		"--iodepth x" "--runtime -1" "--rwmixread 101" "--size 0"; do
		run "$B" io $bad "$F"
		[ "$status" -eq 16 ]
		[[ "$output" == *"${bad%% *}: invalid value '${bad#* }'"* ]]
	done
}

@test "a size larger than the target, or --direct with an odd --bs, exits 16" {
	sparse "$F" 1M
	run "$B" io --size 2M "$F"
	[ "$status" -eq 16 ]
	[[ "$output" == *"$F"*"larger than the device"* ]]
	run "$B" io --direct --bs 1000 --size 1M "$F"
	[ "$status" -eq 16 ]
}


@test "writes to a target with an ext4 signature are refused; it stays byte-identical" {
	ext4_image "$F"
	before=$(sum "$F")
	for rw in randwrite write randrw; do
		run "$B" io --rw "$rw" --size 1M "$F"
		[ "$status" -eq 1 ]
		[[ "$output" == "pcache-bench: $F: holds an existing ext4 signature; refusing to write (use --force)" ]]
	done
	[ "$(sum "$F")" = "$before" ]
	# reading is harmless and allowed
	run "$B" io --rw randread --size 1M "$F"
	[ "$status" -eq 0 ]
	[ "$(sum "$F")" = "$before" ]
}

@test "--force writes to a target with a signature" {
	ext4_image "$F"
	before=$(sum "$F")
	run "$B" io --force --rw write --size 1M "$F"
	[ "$status" -eq 0 ]
	[ "$(sum "$F")" != "$before" ]
}

@test "without --runtime a run issues exactly size / bs I/Os" {
	need_jq
	sparse "$F" 4M
	run "$B" io --json --rw randwrite --bs 4k --size 1M "$F"
	[ "$status" -eq 0 ]
	[ "$(jf .total.write.ios)" = 256 ]
	[ "$(jf .total.write.bytes)" = 1048576 ]
	[ "$(jf .total.read.ios)" = 0 ]
	run "$B" io --json --rw read --bs 64k --jobs 2 --size 1M "$F"
	[ "$status" -eq 0 ]
	[ "$(jf .total.read.ios)" = 16 ]
	[ "$(jf '.jobs | length')" = 2 ]
	[ "$(jf '.jobs[0].read.ios')" = 8 ]
	[ "$(jf '.jobs[1].read.ios')" = 8 ]
}

@test "sequential jobs write their own slices of the region" {
	need_jq
	sparse "$F" 2M
	run "$B" io --rw write --bs 4k --jobs 4 --size 1M "$F"
	[ "$status" -eq 0 ]
	# every block of the first MiB is written once, the second MiB untouched
	run python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
z = bytes(4096)
print(sum(d[i:i + 4096] == z for i in range(0, 1 << 20, 4096)), d[1 << 20:] == bytes(1 << 20))' "$F"
	[ "$output" = "0 True" ]
	run "$B" io --json --rw write --bs 4k --jobs 3 --size 1M "$F"
	[ "$(jf .total.write.ios)" = 256 ]
}

@test "randrw splits the I/Os; --fsync-every counts fsyncs" {
	need_jq
	sparse "$F" 1M
	run "$B" io --json --rw randrw --rwmixread 30 --size 1M "$F"
	[ "$status" -eq 0 ]
	[ $(( $(jf .total.read.ios) + $(jf .total.write.ios) )) -eq 256 ]
	[ "$(jf .total.read.ios)" -gt 0 ]
	[ "$(jf .total.write.ios)" -gt 0 ]
	run "$B" io --json --rw write --fsync-every 16 --size 1M "$F"
	[ "$status" -eq 0 ]
	[ "$(jf .total.fsyncs)" = 16 ]
}

@test "iodepth > 1 (native AIO, O_DIRECT) completes the same I/O count" {
	need_jq
	sparse "$F" 1M
	run "$B" io --json --direct --iodepth 8 --jobs 2 --size 1M "$F"
	[ "$status" -eq 0 ]
	[ "$(jf .total.write.ios)" = 256 ]
	[ "$(jf .workload.iodepth)" = 8 ]
	[ "$(jf .workload.direct)" = true ]
}

@test "the same --seed gives the same data, another seed differs" {
	sparse "$F" 1M
	"$B" io --rw randwrite --size 256k --seed 7 "$F" >/dev/null
	a=$(sum "$F")
	sparse "$F" 1M
	"$B" io --rw randwrite --size 256k --seed 7 "$F" >/dev/null
	[ "$(sum "$F")" = "$a" ]
	sparse "$F" 1M
	"$B" io --rw randwrite --size 256k --seed 8 "$F" >/dev/null
	[ "$(sum "$F")" != "$a" ]
}

@test "io --json has the documented fields" {
	need_jq
	sparse "$F" 1M
	run "$B" io --json --runtime 0.2 --size 1M "$F"
	[ "$status" -eq 0 ]
	printf '%s' "$output" > "$WORK/out.json"
	run jq -e --arg f "$F" --arg v "$(cat "$REPO/VERSION")" '. as $d |
	  ($d.__header | .version == 1 and .tool == "pcache-bench" and
	   .tool_version == $v and .command == "io") and
	  ($d.device | .path == $f and .type == "file" and
	   .size_bytes == 1048576 and .pcache == false and .dm_name == null) and
	  $d.pcache == null and $d.interrupted == false and
	  (["rw", "bs", "jobs", "iodepth", "size", "runtime_s", "direct",
	    "fsync_every", "rwmixread", "seed"] |
	   all(. as $k | $d.workload | has($k))) and
	  ([$d.jobs[0], $d.total] | all(. as $s |
	    (["elapsed_s", "fsyncs", "read", "write"] | all(. as $k | $s | has($k))) and
	    (["ios", "bytes", "iops", "bw_bytes_per_s"] |
	     all(. as $k | $s.write | has($k))) and
	    (["min", "mean", "p50", "p99", "p99_9", "max"] |
	     all(. as $k | $s.write.lat_ns[$k] | type == "number")))) and
	  ($d.jobs[0].job == 0) and ($d.total.write.ios > 0) and
	  ($d.total.write.lat_ns | .min <= .p50 and .p50 <= .p99 and
	   .p99 <= .p99_9 and .p99_9 <= .max)' "$WORK/out.json"
	[ "$status" -eq 0 ]
}

@test "tool_ns_per_io: run time minus summed latency per I/O, null with AIO" {
	need_jq
	sparse "$F" 1M
	run "$B" io --json --jobs 2 --size 1M "$F"
	[ "$status" -eq 0 ]
	printf '%s' "$output" > "$WORK/out.json"
	# Recompute it from the other fields (mean latency is exact); the
	# elapsed times are rounded to ns, hence the tolerance.
	run jq -e '[.jobs[] | (.elapsed_s * 1e9 - .write.lat_ns.mean * .write.ios)]
	  as $out | (($out | add) / .total.write.ios) as $want |
	  .total.tool_ns_per_io >= 0 and
	  (.total.tool_ns_per_io - $want | fabs) < 2 and
	  (.jobs[0] | .tool_ns_per_io - ((.elapsed_s * 1e9 -
	    .write.lat_ns.mean * .write.ios) / .write.ios) | fabs) < 2' \
	  "$WORK/out.json"
	[ "$status" -eq 0 ]
	run "$B" io --json --direct --iodepth 4 --size 1M "$F"
	[ "$status" -eq 0 ]
	[ "$(printf '%s' "$output" | jq -c '[.total.tool_ns_per_io, .jobs[0].tool_ns_per_io]')" = "[null,null]" ]
	run "$B" io --size 1M "$F"
	[[ "$output" == *"own time "*" per I/O outside the timed calls"* ]]
	run "$B" io --direct --iodepth 4 --size 1M "$F"
	[[ "$output" != *"own time"* ]]
}

@test "the human report has per-job and total lines" {
	sparse "$F" 1M
	run "$B" io --jobs 2 --size 1M "$F"
	[ "$status" -eq 0 ]
	[[ "$output" == *"job 0:"* ]]
	[[ "$output" == *"job 1:"* ]]
	[[ "$output" == *"total: 2 jobs"* ]]
	[[ "$output" == *"p99.9"* ]]
}

@test "Ctrl-C stops a run and still prints what it measured" {
	need_jq
	sparse "$F" 1M
	"$B" io --json --runtime 60 --size 1M "$F" > "$WORK/out.json" &
	pid=$!
	# wait until it has written something (blocks get allocated)
	for i in $(seq 100); do
		[ "$(stat -c %b "$F")" -gt 0 ] && break
		sleep 0.2
	done
	kill -INT "$pid"
	wait "$pid"
	output=$(cat "$WORK/out.json")
	[ "$(jf .interrupted)" = true ]
	[ "$(jf .total.write.ios)" -gt 0 ]
}

@test "an I/O error ends the run with 1 and names device, job, offset and error" {
	mkdir "$WORK/small"
	mount -t tmpfs -o size=64k tmpfs "$WORK/small" 2>/dev/null ||
		skip "cannot mount a small tmpfs (needs root)"
	truncate -s 1M "$WORK/small/f"
	run "$B" io --rw write --size 1M "$WORK/small/f"
	umount "$WORK/small"
	[ "$status" -eq 1 ]
	[[ "$output" == *"pcache-bench: $WORK/small/f: job 0: write at offset "*" failed: No space left on device"* ]]
	# what was measured before the error is still reported
	[[ "$output" == *"total: 1 jobs"* ]]
}

@test "dm-pcache status samples become the pcache report" {
	need_jq
	# --status-from (hidden, for tests) feeds status lines instead of the
	# kernel: one sample at the start, one at the end of this short run.
	sparse "$F" 1M
	printf '%s\n' "0 63 63 1 70 1182 0:0 0:0 0:0" \
		"0 63 63 4 70 1182 2:10288 0:5144 0:0" > "$BATS_TEST_TMPDIR/st"
	run "$B" io --json --interval 1000 --status-from "$BATS_TEST_TMPDIR/st" \
		--size 64k "$F"
	[ "$status" -eq 0 ]
	# rest of segment 0 (16764928 bytes) plus 10288 in segment 2 is the key
	# log's move; dirty backlog: 16764928 - 5144 + 10288
	run jq -r '[.device.pcache, (.pcache | .samples, .sample_errors,
		.seg_total, .gc_percent, .segs_used_min, .segs_used_max,
		.start.key_head, .end.key_head, .end.segs_used,
		(.key_log, .writeback, .gc | .advances, .segments_crossed, .bytes_min),
		.end.dirty_log_bytes_min, .dirty_log_bytes_max)] | map(tostring) | join(" ")' \
		<<< "$output"
	[ "$output" = "true 2 0 63 70 1 4 0:0 2:10288 4 1 1 16775216 1 0 5144 0 0 0 16770072 16770072" ]
	run "$B" io --interval 1000 --status-from "$BATS_TEST_TMPDIR/st" --size 64k "$F"
	[ "$status" -eq 0 ]
	[[ "$output" == *"dm-pcache status-from: 2 samples (0 failed)"* ]]
	[[ "$output" == *"used 1 -> 4 (min 1, max 4) of 63, gc_percent 70"* ]]
}

@test "an unparsable status line counts as a failed sample" {
	need_jq
	sparse "$F" 1M
	echo "0 63 garbage" > "$BATS_TEST_TMPDIR/st"
	run "$B" io --json --interval 1000 --status-from "$BATS_TEST_TMPDIR/st" \
		--size 64k "$F"
	[ "$status" -eq 0 ]
	[ "$(jf .pcache.samples)" = 0 ]
	[ "$(jf .pcache.sample_errors)" -ge 1 ]
}

@test "lib: runs every microbenchmark on a temporary image and removes it" {
	need_jq
	mkdir "$WORK/t"
	TMPDIR=$WORK/t run "$B" lib --json --format-size 512M \
		--crc-size 64k --min-time 0 --ksets 300
	[ "$status" -eq 0 ]
	run jq -r '[.__header.command, .image.temporary, .image.seg_num,
		.interrupted, (.crc32c.impl | type),
		(.crc32c | [.mem_read_bytes_per_s, .crc_bytes_per_s,
		 .crc_4k_bytes_per_s, .crc_hot_bytes_per_s,
		 .crc_portable_bytes_per_s, .crc_vs_mem_read] | all(type == "number")),
		.format.seg_num, .kset_append.ksets, .kset_append.keys, .replay.keys,
		.format_max.seg_num, .format_max.extrapolated, .scan.segments,
		.scan.fsck_kernel_accepts, (.scan.fsck_findings | type)] |
		map(tostring) | join(" ")' <<< "$output"
	[ "$output" = "lib true 63 false string true 63 300 38400 38400 31 false 31 true number" ]
	[ -z "$(ls "$WORK/t")" ]
}

@test "lib: --format-size 0 skips the large format; --keep keeps the image" {
	need_jq
	mkdir "$WORK/t"
	TMPDIR=$WORK/t run "$B" lib --json --format-size 0 \
		--crc-size 64k --min-time 0 --ksets 10 --keep
	[ "$status" -eq 0 ]
	[ "$(jf .format_max)" = null ]
	[ "$(jf .scan.segments)" = 63 ]
	[ -f "$(jf .image.path)" ]
}

@test "lib: an IMAGE with an ext4 signature is refused and unchanged" {
	ext4_image "$F"
	before=$(sum "$F")
	run "$B" lib --format-size 0 --crc-size 64k --min-time 0 --ksets 1 "$F"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$F: holds an existing ext4 signature"* ]]
	[ "$(sum "$F")" = "$before" ]
	run "$B" lib --size 1M
	[ "$status" -eq 16 ]
}
