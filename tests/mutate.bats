#!/usr/bin/env bats
# pcache-mutate (tests/tools): the mutation corpus generator of the
# checker-versus-kernel comparison (tests/kernel/mutations.sh). Each kind
# changes exactly the structure it names, the generated base is a clean
# cache whose log crosses a LAST kset, and --apply writes only the pages
# that differ.

setup_file() {
	export BIN=${PCACHE_BIN:-$BATS_TEST_DIRNAME/../build}
	export MUT=$BIN/testtools/pcache-mutate FSCK=$BIN/pcache-fsck
	export W=$BATS_FILE_TMPDIR
	"$MUT" --make-base "$W/gen.pmem" >"$W/gen.txt"
}

sum() { "$BIN/testtools/pcache-sparsesum" "$1"; }

# verdict IMAGE: "<kernel_accepts> <codes>" of pcache-fsck -n --json
verdict() {
	"$FSCK" -n --json --backing-size 268435456 --data-crc=false "$1" |
		jq -r '"\(.summary.kernel_accepts) \(.summary.by_code | keys | join(","))"'
}

@test "the generated base is a clean cache with a LAST kset and four ranges" {
	run "$FSCK" -n --backing-size 268435456 --data-crc=false "$W/gen.pmem"
	[ "$status" -eq 0 ]
	[[ "$output" == *"12 ksets, 1 LAST, 48 keys"* ]]
	[ "$(grep -c '^range ' "$W/gen.txt")" -eq 4 ]
}

@test "kind none copies the base byte for byte" {
	run "$MUT" "$W/gen.pmem" "$W/m.pmem" none 1
	[ "$status" -eq 0 ]
	[ "$output" = "kind=none seed=1 applies=yes struct=none slot=-1 dev_off=0 len=0 op:none" ]
	[ "$(sum "$W/m.pmem")" = "$(sum "$W/gen.pmem")" ]
}

@test "a forged superblock magic is resealed: PC-SB-MAGIC, not PC-SB-CRC" {
	run "$MUT" "$W/gen.pmem" "$W/m.pmem" sb-magic 3
	[ "$status" -eq 0 ]
	[[ "$output" == *"struct=superblock slot=-1 dev_off=4096 len=24 op:magic"*"crc:resealed" ]]
	# the checker goes on with a superblock rebuilt from cache_info
	[ "$(verdict "$W/m.pmem")" = "false PC-DIRTY-DATA,PC-SB-MAGIC" ]
	cmp -s <(head -c 4096 "$W/m.pmem") <(head -c 4096 "$W/gen.pmem")
	! cmp -s <(head -c 4120 "$W/m.pmem") <(head -c 4120 "$W/gen.pmem")
}

@test "a LAST link out of range is refused (PC-LOG-NEXT), same seed same bytes" {
	run "$MUT" "$W/gen.pmem" "$W/a.pmem" kset-last-range 5
	[ "$status" -eq 0 ]
	[[ "$output" == *"struct=kset"*"at:0:16764824 next:2->"*"crc:resealed" ]]
	[[ "$(verdict "$W/a.pmem")" == "false "*PC-LOG-NEXT* ]]
	"$MUT" "$W/gen.pmem" "$W/b.pmem" kset-last-range 5
	[ "$(sum "$W/a.pmem")" = "$(sum "$W/b.pmem")" ]
}

@test "a key beyond the backing device: PC-KEY-BACKING" {
	run "$MUT" "$W/gen.pmem" "$W/m.pmem" key-off-range 9
	[ "$status" -eq 0 ]
	[[ "$(verdict "$W/m.pmem")" == "false "*PC-KEY-BACKING* ]]
}

@test "a kind that does not apply exits 2 and says why; unknown kinds 16" {
	truncate -s 1G "$W/fresh.pmem"
	"$BIN/pcache-format" -q "$W/fresh.pmem"
	run "$MUT" "$W/fresh.pmem" "$W/m.pmem" kset-zero 1
	[ "$status" -eq 2 ]
	[ "$output" = "kind=kset-zero seed=1 applies=no reason=no-kset" ]
	run "$MUT" "$W/gen.pmem" "$W/m.pmem" no-such-kind 1
	[ "$status" -eq 16 ]
	[[ "$output" == *"unknown kind 'no-such-kind'"* ]]
}

@test "every listed kind runs on the generated base" {
	n=0
	for k in $("$MUT" --list); do
		n=$((n + 1))
		run "$MUT" "$W/gen.pmem" "$W/m.pmem" "$k" "$n"
		[ "$status" -eq 0 ] || { echo "$k: $output"; false; }
		[[ "$output" == "kind=$k seed=$n applies=yes struct="* ]]
	done
	[ "$n" -ge 70 ]
}

@test "--apply writes only the pages that differ" {
	cp --sparse=always "$W/gen.pmem" "$W/ram.img"
	"$MUT" "$W/gen.pmem" "$W/m.pmem" info-nsegs-zero 2 >/dev/null
	run "$MUT" --apply "$W/m.pmem" "$W/ram.img" 0
	[ "$status" -eq 0 ]
	[ "$output" = "applied $W/m.pmem pages=1" ]
	[ "$(sum "$W/ram.img")" = "$(sum "$W/m.pmem")" ]
	run "$MUT" --apply "$W/m.pmem" "$W/ram.img" 0
	[ "$output" = "applied $W/m.pmem pages=0" ]
	# what the kernel wrote where the image has a hole is zeroed again
	printf 'written by the guest' | dd of="$W/ram.img" bs=4096 seek=50000 \
		conv=notrunc status=none
	run "$MUT" --apply "$W/m.pmem" "$W/ram.img" 0
	[ "$output" = "applied $W/m.pmem pages=1" ]
	cmp -s "$W/ram.img" "$W/m.pmem"
}

@test "--apply at an offset: the image lands at that byte of the file" {
	truncate -s 2G "$W/big.img"
	"$MUT" --apply "$W/gen.pmem" "$W/big.img" $((1 << 30)) >/dev/null
	cmp <(dd if="$W/big.img" bs=1M skip=1024 count=1 status=none) \
		<(dd if="$W/gen.pmem" bs=1M count=1 status=none)
	rm -f "$W/big.img"
}

# A crash here once: a forged key_num turned the next kset's bytes into keys
# beyond the backing device whose segment id did not exist (check_keys.c).
@test "pcache-fsck ends every mutated image with a report (both bases, every kind)" {
	bases="$W/gen.pmem"
	fix=$BATS_TEST_DIRNAME/../../shared/fixtures/kcrc-crash.pmem.zst
	if [ -f "$fix" ]; then
		zstd -q -d -f "$fix" -o "$W/kcrc.pmem"
		bases="$bases $W/kcrc.pmem"
	fi
	for b in $bases; do
		n=0
		for k in $("$MUT" --list); do
			for seed in 1; do
				rc=0
				"$MUT" "$b" "$W/m.pmem" "$k" "$seed" >/dev/null || rc=$?
				[ $rc = 0 ] || [ $rc = 2 ] || { echo "$b $k $seed: pcache-mutate $rc"; return 1; }
				[ $rc = 0 ] || continue
				rc=0
				"$FSCK" -n --json --backing-size 268435456 --verify-data \
					"$W/m.pmem" >"$W/f.json" 2>/dev/null || rc=$?
				[ $rc -lt 8 ] || { echo "$b $k $seed: fsck exit $rc"; return 1; }
				jq -e .summary.verdict "$W/f.json" >/dev/null ||
					{ echo "$b $k $seed: no JSON report"; return 1; }
				n=$((n + 1))
			done
		done
		[ $n -gt 60 ]
	done
}

@test "a generation rolled forward over dirty keys is loss: PC-KEY-STALE-DIRTY with the dropped ranges" {
	run "$MUT" "$W/gen.pmem" "$W/m.pmem" gen-ahead 119
	[ "$status" -eq 0 ]
	[[ "$output" == *"struct=seg_gen"*"crc:resealed" ]]
	run "$FSCK" -n --backing-size 268435456 --data-crc=false "$W/m.pmem"
	[ "$status" -eq 4 ]
	[[ "$output" == *"LOSS         PC-KEY-STALE-DIRTY"*"nothing newer covers"* ]]
	[[ "$output" == *"affected backing ranges: "* ]]
	# the unmutated base has no such finding
	run "$FSCK" -n --backing-size 268435456 --data-crc=false "$W/gen.pmem"
	[ "$status" -eq 0 ]
	[[ "$output" != *PC-KEY-STALE-DIRTY* ]]
}

# fsck -n --json of IMAGE, with helper threads reading the chain when $1 is 1
fsck_json_ahead() {
	if [ "$1" = 1 ]; then
		PCACHE_CHAIN_AHEAD_MIN=2 "$FSCK" -n --json --backing-size 268435456 "$2"
	else
		"$FSCK" -n --json --backing-size 268435456 "$2"
	fi
}

@test "fsck, dump: the chain read by helper threads gives the walk's own results, byte for byte" {
	# a valid record between the segment_info slots of segment 40, in the
	# part of a helper (40 of 63 lies past the walk's own part whatever the
	# number of CPUs): the helper must leave it to the walk, which reports it
	cp "$W/gen.pmem" "$W/st.pmem"
	off=$((20480 + 40 * 16777216))
	dd if="$W/gen.pmem" of="$W/st.pmem" bs=1 skip=$off seek=$((off + 16)) \
		count=16 conv=notrunc status=none
	# the helpers did read (counted by a preload shim)
	cc -shared -fPIC -O2 -o "$W/offthread.so" \
		"$BATS_TEST_DIRNAME/preload/offthread.c" -ldl
	LD_PRELOAD=$W/offthread.so OFFTHREAD_COUNT=$W/n \
		ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0 \
		fsck_json_ahead 1 "$W/st.pmem" >/dev/null || true
	[ "$(cat "$W/n")" -gt 0 ]
	LD_PRELOAD=$W/offthread.so OFFTHREAD_COUNT=$W/n \
		ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0 \
		fsck_json_ahead 0 "$W/st.pmem" >/dev/null || true
	[ "$(cat "$W/n")" -eq 0 ]
	fsck_json_ahead 1 "$W/st.pmem" >"$W/a.json" || true
	jq -e '.findings[] | select(.code == "PC-SEGINFO-STRIDE" and .cache_seg == 40)' \
		"$W/a.json" >/dev/null
	fsck_json_ahead 0 "$W/st.pmem" >"$W/b.json" || true
	cmp "$W/a.json" "$W/b.json"
	for kind in none seginfo-flip seginfo-zero seginfo-zero-both seginfo-swap \
		seginfo-seq-wrap seginfo-next-range seginfo-next-dup seginfo-nonext \
		gen-flip gen-zero gen-zero-both gen-swap gen-seq-wrap gen-ahead \
		info-nsegs-small info-nsegs-big info-segid; do
		for seed in 1 2; do
			"$MUT" "$W/gen.pmem" "$W/m.pmem" $kind $seed >/dev/null
			fsck_json_ahead 1 "$W/m.pmem" >"$W/a.json" && a=0 || a=$?
			fsck_json_ahead 0 "$W/m.pmem" >"$W/b.json" && b=0 || b=$?
			[ "$a" = "$b" ] || { echo "$kind $seed: exit $a against $b"; return 1; }
			cmp "$W/a.json" "$W/b.json" || { echo "$kind $seed"; return 1; }
			# pc_cache_open's chain walk takes the helpers' entries too
			PCACHE_CHAIN_AHEAD_MIN=2 "$BIN/pcache-dump" --json --segments \
				"$W/m.pmem" >"$W/a.json" 2>&1 && a=0 || a=$?
			"$BIN/pcache-dump" --json --segments "$W/m.pmem" \
				>"$W/b.json" 2>&1 && b=0 || b=$?
			[ "$a" = "$b" ] || { echo "dump $kind $seed: exit $a against $b"; return 1; }
			cmp "$W/a.json" "$W/b.json" || { echo "dump $kind $seed"; return 1; }
		done
	done
}

# A bad sector past the end of a damaged log: the checker cannot tell
# whether valid ksets follow, so it must neither call the end torn and
# zero the header (which hid the ksets after it from every tool, the
# salvage scan included) nor let a salvage take the ksets before the bad
# sector for all there is. The shim (tests/preload/failread.c) fails reads
# of 512 bytes 64 KiB into cache segment 2's data, beyond the log's end
# (2:1288); segment 2's data starts at 20480 + 2 * 16 MiB + 12288.
@test "a read error past a damaged log's end: no repair hides what may follow, no partial salvage" {
	"$MUT" "$W/gen.pmem" "$W/t.pmem" kset-flip 3 >/dev/null
	run "$FSCK" -n --json --backing-size 268435456 --data-crc=false "$W/t.pmem"
	echo "$output" | jq -e '.findings[] | select(.code == "PC-LOG-TRUNCATED") |
		.message | test("but 9 valid ksets follow")'
	cc -shared -fPIC -O2 -o "$W/failread.so" \
		"$BATS_TEST_DIRNAME/preload/failread.c" -ldl
	before=$(sum "$W/t.pmem")
	export FAIL_PATH=$W/t.pmem FAIL_OFF=$((20480 + 2 * 16777216 + 12288 + 65536))
	export ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0
	LD_PRELOAD=$W/failread.so run "$FSCK" -n --json --backing-size 268435456 \
		--data-crc=false "$W/t.pmem"
	[ "$status" -eq 4 ]
	echo "$output" | jq -e '[.findings[] | select(.code == "PC-DEV-READ")] | length == 1'
	echo "$output" | jq -e '.findings[] | select(.code == "PC-LOG-TORN") |
		(.repairable == false) and (.message | test("what follows could not be read"))'
	LD_PRELOAD=$W/failread.so run "$FSCK" -y --backing-size 268435456 \
		--data-crc=false "$W/t.pmem"
	[ "$status" -eq 4 ]
	[ "$(sum "$W/t.pmem")" = "$before" ]
	truncate -s 256M "$W/t.backing"
	LD_PRELOAD=$W/failread.so run "$BIN/pcache-writeback" --salvage \
		"$W/t.pmem" "$W/t.backing"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == *"Input/output error" ]]
	[ "$(sum "$W/t.pmem")" = "$before" ]
	[ "$(stat -c %b "$W/t.backing")" -eq 0 ]
}

# A used cache whose cache_info is lost or lacks INIT_DONE: pcache-format
# took it for "a superblock without an initialised cache" and --force alone
# formatted over its dirty log.
@test "pcache-format --force refuses a used cache whose cache_info is lost; --discard-dirty overrides" {
	F=$BIN/pcache-format
	for kind in info-zero-both info-noinit info-flip; do
		"$MUT" "$W/gen.pmem" "$W/f.pmem" $kind 1 >/dev/null
		before=$(sum "$W/f.pmem")
		run "$F" -q --force "$W/f.pmem"
		[ "$status" -eq 1 ]
		[ "$output" = "pcache-format: $W/f.pmem: contains a dm-pcache superblock whose cache_info is lost or not initialised, but valid tail or segment records of a cache behind it that may hold dirty data; refusing (--force --discard-dirty overrides)" ]
		[ "$(sum "$W/f.pmem")" = "$before" ]
	done
	run "$F" -q --force --discard-dirty "$W/f.pmem"
	[ "$status" -eq 0 ]
	# a device only formatted lazily (never activated) holds nothing
	rm -f "$W/lz.img"
	truncate -s 1G "$W/lz.img"
	"$F" -q --lazy "$W/lz.img"
	run "$F" -q --force "$W/lz.img"
	[ "$status" -eq 0 ]
}
