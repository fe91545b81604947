#!/usr/bin/env bats
# Repairs and refusals around damaged caches full of dirty data (issue 16,
# items 4-7), on copies of the kernel's crash fixture kcrc-crash (1 GiB,
# data_crc, 8 MiB dirty): a lost superblock is refused by pcache-format and
# rebuilt by pcache-fsck -y so that the cache writes back to exactly the
# kernel's own result; a torn segment_info is repaired with its inferred
# next link, never from the stale copy without it; writeback --skip-bad
# leaves a cache the kernel accepts; data CRCs are the kernel's default
# check, and pcache-dump --extract never returns bytes that fail theirs.

load helpers
bats_require_minimum_version 1.5.0

BACK=268435456
SEG1=$((20480 + 16777216))		# physical segment 1
DATA1=$((SEG1 + 12288))			# its data area: key 0 of kset 0:0

setup_file() {
	"$BATS_TEST_DIRNAME"/../tools/install-deps.sh dump >&2
}

setup() {
	have_fixtures || skip "fixtures not found in $FIXTURES"
	FSCK=$PCACHE_BIN/pcache-fsck FMT=$PCACHE_BIN/pcache-format
	WB=$PCACHE_BIN/pcache-writeback DUMP=$PCACHE_BIN/pcache-dump
	WORK=$BATS_TEST_TMPDIR
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then
		WORK=$(mktemp -d /dev/shm/pcache-repair.XXXXXX)
	fi
	C=$WORK/c.pmem
	B=$WORK/b.img
	ORIG_C=$(fixture kcrc-crash.pmem)
	cp --sparse=always "$ORIG_C" "$C"
	cp --sparse=always "$(fixture kcrc-crash.backing)" "$B"
	chmod u+w "$C" "$B"
}

teardown() {
	[[ ${WORK:-} == /dev/shm/pcache-repair.* ]] && rm -rf "$WORK"
	return 0
}

# The sha256 SHA256SUMS gives for fixture $1.
want_sum() { awk -v f="$1" '$2 == f { print $1 }' "$FIXTURES/SHA256SUMS"; }
sha() { sha256sum < "$1" | cut -d' ' -f1; }
# before/after: sha256 of the content read from the data extents only
# (helpers.bash sum), so a 1 GiB sparse image costs what its data costs
ssum() { sum "$1"; }
# Overwrite LEN bytes at OFF of FILE with zeros, or with bytes from stdin.
zero_at() { dd if=/dev/zero of="$1" bs=1 seek="$2" count="$3" conv=notrunc status=none; }
put_at() { dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# fsck --json into $1, exit status in $rc
fsck_json() {
	local out=$1
	shift
	rc=0
	"$FSCK" --json "$@" > "$out" 2> "$out.err" || rc=$?
}

# ---- item 4: a lost superblock over dirty data ----------------------------

@test "format refuses a zeroed superblock over a dirty cache, even with --force; both devices unchanged" {
	zero_at "$C" 4096 24
	before=$(ssum "$C") bb=$(ssum "$B")
	run "$FMT" "$C"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"c.pmem: contains no valid superblock, but a cache of 63 segments behind it that may hold dirty data"*"--force --discard-dirty"* ]]
	run "$FMT" --force "$C"
	[ "$status" -eq 1 ]
	[ "$(ssum "$C")" = "$before" ]
	[ "$(ssum "$B")" = "$bb" ]
	run "$FMT" --force --discard-dirty -q "$C"
	[ "$status" -eq 0 ]
	[ "$(ssum "$C")" != "$before" ]
}

@test "format refuses random bytes over the superblock of a dirty cache" {
	head -c 24 "$FIXTURES/kcrc-clean.pmem.zst" | put_at "$C" 4096
	before=$(ssum "$C")
	run "$FMT" --force "$C"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no valid superblock"*"refusing (--force --discard-dirty overrides)"* ]]
	[ "$(ssum "$C")" = "$before" ]
}

@test "fsck: zeroed superblock reported by -n, not touched by -p, rebuilt by -y; writeback gives kcrc-clean.backing" {
	zero_at "$C" 4096 24
	before=$(ssum "$C")
	fsck_json "$WORK/n.json" -n --backing-size $BACK "$C"
	[ "$rc" -eq 4 ]
	jq -e '[.findings[] | select(.code == "PC-SB-UNFORMATTED-USED") | .severity, .repairable] == ["loss", true]' "$WORK/n.json"
	# the rest of the cache was checked under the rebuilt superblock
	jq -e '.usage.loaded and .usage.keys == 612 and .usage.verified_keys == 612' "$WORK/n.json"
	fsck_json "$WORK/p.json" -p --backing-size $BACK "$C"
	[ "$rc" -eq 4 ]
	[ "$(ssum "$C")" = "$before" ]
	fsck_json "$WORK/y.json" -y --backing-size $BACK "$C"
	[ "$rc" -eq 1 ]
	jq -e '[.findings[] | select(.code == "PC-FIX-SB")] | length == 1' "$WORK/y.json"
	# byte for byte the kernel's image again
	[ "$(sha "$C")" = "$(want_sum kcrc-crash.pmem)" ]
	fsck_json "$WORK/c.json" -n --backing "$B" "$C"
	[ "$rc" -eq 0 ]
	jq -e '[.findings[] | select(.severity != "info") | .code] == []' "$WORK/c.json"
	jq -e '.usage.dirty_bytes == 8400896 and .summary.kernel_accepts' "$WORK/c.json"
	run "$WB" -q "$C" "$B"
	[ "$status" -eq 0 ]
	[ "$(sha "$B")" = "$(want_sum kcrc-clean.backing)" ]
}

@test "fsck -y rebuilds random bytes over the superblock (PC-SB-MAGIC) and a bad CRC (PC-SB-CRC)" {
	head -c 24 "$FIXTURES/kcrc-clean.pmem.zst" | put_at "$C" 4096
	fsck_json "$WORK/m.json" -n "$C"
	[ "$rc" -eq 4 ]
	jq -e '[.findings[] | select(.code == "PC-SB-MAGIC") | .repairable] == [true]' "$WORK/m.json"
	fsck_json "$WORK/y.json" -y "$C"
	[ "$rc" -eq 1 ]
	[ "$(sha "$C")" = "$(want_sum kcrc-crash.pmem)" ]
	printf '\x01' | put_at "$C" 4116
	fsck_json "$WORK/c.json" -y "$C"
	[ "$rc" -eq 1 ]
	jq -e '[.findings[] | select(.code == "PC-SB-CRC") | .repaired] == [true]' "$WORK/c.json"
	[ "$(sha "$C")" = "$(want_sum kcrc-crash.pmem)" ]
}

@test "fsck -y does not guess a superblock without a valid cache_info behind it" {
	zero_at "$C" 4096 24
	zero_at "$C" 8192 8192
	before=$(ssum "$C")
	fsck_json "$WORK/y.json" -y "$C"
	[ "$rc" -eq 4 ]
	jq -e '[.findings[] | select(.code == "PC-SB-UNFORMATTED-USED") | .repairable, .repaired] == [false, false]' "$WORK/y.json"
	jq -e '[.findings[] | select(.code == "PC-SB-UNFORMATTED-USED") | .message | test("cannot be rebuilt")] == [true]' "$WORK/y.json"
	[ "$(ssum "$C")" = "$before" ]
	# and format still refuses it: the tails and segments hold a cache
	run "$FMT" --force "$C"
	[ "$status" -eq 1 ]
	[ "$(ssum "$C")" = "$before" ]
}

# ---- item 5: a torn segment_info in a used segment ------------------------

@test "torn segment_info with the next link: -y infers the link, never copies the stale copy; the chain stays intact" {
	# segment 1, slot 0 (seq 2, has next 2): tear its next_seg field
	printf '\xff\xff' | put_at "$C" $((SEG1 + 12))
	before=$(ssum "$C")
	fsck_json "$WORK/n.json" -n --backing-size $BACK "$C"
	[ "$rc" -eq 4 ]
	jq -e '.summary.kernel_accepts == false' "$WORK/n.json"
	jq -e '[.findings[] | select(.code == "PC-CHAIN-SHORT") | .repairable] == [true]' "$WORK/n.json"
	jq -e '[.findings[] | select(.code == "PC-SEGINFO-TORN") | .repairable] == [false]' "$WORK/n.json"
	# -p may not copy the stale copy (it lacks the link) nor infer
	fsck_json "$WORK/p.json" -p --backing-size $BACK "$C"
	[ "$rc" -eq 4 ]
	[ "$(ssum "$C")" = "$before" ]
	fsck_json "$WORK/y.json" -y --backing-size $BACK "$C"
	[ "$rc" -eq 1 ]
	jq -e '[.findings[] | select(.code == "PC-FIX-CHAIN")] | length == 1' "$WORK/y.json"
	! jq -e '.findings[] | select(.code == "PC-FIX-SLOT")' "$WORK/y.json"
	# seq 2, flags 0x3, next 2: exactly the record the kernel wrote
	[ "$(bytes_at "$C" $SEG1 16)" = 08074459020000000300000002000000 ]
	[ "$(sha "$C")" = "$(want_sum kcrc-crash.pmem)" ]
	fsck_json "$WORK/c.json" -n --backing-size $BACK "$C"
	[ "$rc" -eq 0 ]
	jq -e '.summary.kernel_accepts and .usage.dirty_bytes == 8400896' "$WORK/c.json"
	! jq -e '.findings[] | select(.code == "PC-CHAIN-SHORT")' "$WORK/c.json"
}

@test "torn segment_info whose link cannot be inferred: -y writes nothing" {
	printf '\xff\xff' | put_at "$C" $((SEG1 + 12))
	# segment 2 has no valid segment_info: the link is not provable
	head -c 16 "$FIXTURES/kcrc-clean.pmem.zst" | put_at "$C" $((SEG1 + 16777216))
	head -c 16 "$FIXTURES/kfresh.pmem.zst" | put_at "$C" $((SEG1 + 16777216 + 4096))
	before=$(ssum "$C")
	fsck_json "$WORK/y.json" -y --backing-size $BACK "$C"
	[ "$rc" -eq 4 ]
	jq -e '[.findings[] | select(.code == "PC-CHAIN-SHORT") | .repairable, .repaired] == [false, false]' "$WORK/y.json"
	[ "$(jq '.summary.repairs' "$WORK/y.json")" -eq 0 ]
	[ "$(ssum "$C")" = "$before" ]
}

@test "a segment_info with no valid copy: -y writes a fresh one with the inferred link" {
	head -c 16 "$FIXTURES/kcrc-clean.pmem.zst" | put_at "$C" $SEG1
	head -c 16 "$FIXTURES/kfresh.pmem.zst" | put_at "$C" $((SEG1 + 4096))
	fsck_json "$WORK/n.json" -n --backing-size $BACK "$C"
	[ "$rc" -eq 4 ]
	jq -e '[.findings[] | select(.code == "PC-SEGINFO-NONE") | .repairable] == [true]' "$WORK/n.json"
	fsck_json "$WORK/y.json" -y --backing-size $BACK "$C"
	[ "$rc" -eq 1 ]
	fsck_json "$WORK/c.json" -n --backing-size $BACK "$C"
	[ "$rc" -eq 0 ]
	jq -e '.summary.kernel_accepts and .usage.dirty_bytes == 8400896' "$WORK/c.json"
}

# ---- item 6: writeback --skip-bad leaves a cache the kernel accepts -------

@test "writeback --skip-bad: the log is emptied so the kernel accepts the cache; plain writeback refuses, devices unchanged" {
	printf '\x5a' | put_at "$C" $((DATA1 + 100))
	before=$(ssum "$C") bb=$(ssum "$B")
	run "$WB" -q "$C" "$B"
	[ "$status" -eq 1 ]
	[ "$(ssum "$C")" = "$before" ]
	[ "$(ssum "$B")" = "$bb" ]
	run "$WB" --skip-bad --json "$C" "$B"
	[ "$status" -eq 0 ]
	json 'd["result"] == "written" and d["key_tail_moved"] and d["kernel_accepts"]' <<< "$output" | grep -qx True
	json 'd["totals"]["extents_skipped"]' <<< "$output" | grep -qx 2
	fsck_json "$WORK/c.json" -n --backing "$B" "$C"
	[ "$rc" -eq 0 ]
	jq -e '.summary.kernel_accepts and .usage.dirty_bytes == 0 and .usage.keys == 0' "$WORK/c.json"
	# the good extents are on the backing device: one of them, 64 KiB on
	cmp -n 4096 <(tail -c +65537 "$B") <(tail -c +65537 "$(fixture kcrc-clean.backing)")
}

# ---- item 7: the kernel's data check by default ---------------------------

@test "a flipped data byte: fsck reports PC-KEY-DATA-CRC by default (exit 4); --no-verify-data says the check was skipped" {
	printf '\x5a' | put_at "$C" $((DATA1 + 100))
	before=$(ssum "$C")
	run "$FSCK" --backing-size $BACK "$C"
	[ "$status" -eq 4 ]
	[[ "$output" == *"REJECT       PC-KEY-DATA-CRC"*"key 0 of kset 0:0 (off 0 len 1048576)"* ]]
	[[ "$output" == *"the kernel would refuse this cache"* ]]
	run "$FSCK" --no-verify-data --backing-size $BACK "$C"
	[ "$status" -eq 0 ]
	[[ "$output" != *PC-KEY-DATA-CRC* ]]
	[[ "$output" == *"PC-DATA-UNVERIFIED"*"the kernel's data check at activation was not made"* ]]
	[[ "$output" == *"data crc: not verified (--no-verify-data)"* ]]
	[[ "${lines[-1]}" == *"consistent as far as checked (data CRCs not verified)"* ]]
	fsck_json "$WORK/j.json" --no-verify-data --backing-size $BACK "$C"
	jq -e '.usage.data_check == "skipped"' "$WORK/j.json"
	[ "$(ssum "$C")" = "$before" ]
}

@test "dump --extract of a range whose key fails its CRC: error naming the extent, exit 1, no bytes" {
	printf '\x5a' | put_at "$C" $((DATA1 + 100))
	run --separate-stderr "$DUMP" --backing "$B" --extract 0 64k "$C"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"extent at backing offset 0 (65536 bytes, cache 1:0, kset 0:0): data crc mismatch"* ]]
	# a range of good keys still extracts, byte for byte what was written
	"$DUMP" --backing "$B" --extract 65536 4k "$C" > "$WORK/good.bin"
	cmp "$WORK/good.bin" <(tail -c +65537 "$(fixture kcrc-clean.backing)" | head -c 4096)
	# --no-verify is the explicit way to take the bytes anyway
	"$DUMP" --no-verify --backing "$B" --extract 0 64k "$C" > "$WORK/bad.bin"
	[ "$(stat -c %s "$WORK/bad.bin")" -eq 65536 ]
}
