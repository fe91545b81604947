#!/usr/bin/env bats
# One verdict per cache from every tool (issue 18, docs/format-errata.md E1):
# a kset at the tails that runs past its segment's end. Where the kernel's
# CRC over its buffer fails it ends the log there and loads the cache
# (log-nofit, as upstream 7.2.13 did); where it passes it refuses the cache
# (log-overrun). fsck, dump and writeback must say the same.

setup_file() {
	export BIN=${PCACHE_BIN:-$BATS_TEST_DIRNAME/../build}
	export MK=$BIN/testtools/pcache-mkimage W=$BATS_FILE_TMPDIR
	truncate -s 268435456 "$W/back.img"
	"$MK" "$W/nofit.img" log-nofit
	"$MK" "$W/overrun.img" log-overrun
}

sum() { "$BIN/testtools/pcache-sparsesum" "$1"; }

# fsck_json IMAGE: findings in $W/f.json, exit status in $rc
fsck_json() {
	rc=0
	"$BIN/pcache-fsck" --json -n --backing-size 268435456 "$1" \
		> "$W/f.json" 2> /dev/null || rc=$?
}

@test "kset past its segment, CRC failing over the kernel's buffer: fsck harmless, exit 0" {
	fsck_json "$W/nofit.img"
	[ "$rc" -eq 0 ]
	jq -e '[.findings[] | select(.code == "PC-LOG-NOFIT")] | length == 1' "$W/f.json"
	jq -e '[.findings[] | select(.severity == "reject")] | length == 0' "$W/f.json"
}

@test "kset past its segment, CRC failing: dump says the kernel loads it, empty log" {
	run "$BIN/pcache-dump" --json "$W/nofit.img"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.summary.kernel_would_load == true and
		.summary.keys == 0 and .summary.log_end == "kset crc mismatch"'
}

@test "kset past its segment, CRC failing: writeback accepts it (nothing to write)" {
	cp "$W/nofit.img" "$W/c.img"
	run "$BIN/pcache-writeback" --dry-run "$W/c.img" "$W/back.img"
	[ "$status" -eq 0 ]
}

@test "kset past its segment, CRC passing over the zero-filled buffer: fsck REJECT, exit 4" {
	fsck_json "$W/overrun.img"
	[ "$rc" -eq 4 ]
	jq -e '[.findings[] | select(.code == "PC-LOG-OVERRUN" and
		.severity == "reject")] | length == 1' "$W/f.json"
	jq -e '[.findings[] | select(.code == "PC-LOG-NOFIT")] | length == 0' "$W/f.json"
}

@test "kset past its segment, CRC passing: dump says the kernel refuses (exit 1)" {
	local rc=0
	"$BIN/pcache-dump" --json "$W/overrun.img" > "$W/d.json" 2> "$W/d.err" || rc=$?
	[ "$rc" -eq 1 ]
	jq -e '.summary.kernel_would_load == false' "$W/d.json"
	grep -q "its CRC passes over the kernel's buffer" "$W/d.err"
}

@test "kset past its segment, CRC passing: writeback refuses (1), both devices unchanged" {
	cp "$W/overrun.img" "$W/c.img"
	local before back
	before=$(sum "$W/c.img")
	back=$(sum "$W/back.img")
	run "$BIN/pcache-writeback" "$W/c.img" "$W/back.img"
	[ "$status" -eq 1 ]
	[[ $output == *"larger than the 104 left in its segment"* ]]
	[ "$(sum "$W/c.img")" = "$before" ]
	[ "$(sum "$W/back.img")" = "$back" ]
}

@test "kset past its segment, CRC passing: after fsck -y every tool accepts the cache" {
	cp "$W/overrun.img" "$W/c.img"
	run "$BIN/pcache-fsck" -y --backing-size 268435456 "$W/c.img"
	[ "$status" -eq 1 ]
	fsck_json "$W/c.img"
	[ "$rc" -eq 0 ]
	run "$BIN/pcache-dump" --json "$W/c.img"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.summary.kernel_would_load == true'
	run "$BIN/pcache-writeback" --dry-run "$W/c.img" "$W/back.img"
	[ "$status" -eq 0 ]
}
