#!/usr/bin/env bats
# pcache-fsck: fixtures written by the kernel check clean, one corrupted
# image per finding code (built with build/testtools/pcache-mkimage) is
# reported with its code and exit status, -y repairs what it can so that a
# second run is clean, -n never writes, and any bytes end in a report.
#
# PCACHE_BIN: build tree (default build). Fixtures: ../shared/fixtures
# relative to the repository root.

setup_file() {
	export BIN=${PCACHE_BIN:-$BATS_TEST_DIRNAME/../build}
	export FSCK=$BIN/pcache-fsck MK=$BIN/testtools/pcache-mkimage
	export FIX=$BATS_TEST_DIRNAME/../../shared/fixtures
	export W=$BATS_FILE_TMPDIR
	export BACK=268435456
	for f in kfresh kcrc-clean kcrc-crash; do
		zstd -q -d "$FIX/$f.pmem.zst" -o "$W/$f.pmem"
	done
	for f in kcrc-clean kcrc-crash; do
		zstd -q -d "$FIX/$f.backing.zst" -o "$W/$f.backing"
	done
}

sum() { "$BIN/testtools/pcache-sparsesum" "$1"; }

# codes IMAGE-JSON: the finding codes, one per line
codes() { jq -r '.findings[].code' "$1" | sort -u; }

# fsck_json OUT ARGS...: run, keep JSON in OUT, exit status in $rc
fsck_json() {
	local out=$1
	shift
	rc=0
	timeout 60 "$FSCK" --json "$@" > "$out" 2> "$out.err" || rc=$?
}

# ---- the command line --------------------------------------------------

@test "--version prints the tool and package version" {
	run "$FSCK" --version
	[ "$status" -eq 0 ]
	[ "$output" = "pcache-fsck (pcache-tools) $(cat "$BATS_TEST_DIRNAME/../VERSION")" ]
}

@test "--help lists the options" {
	run "$FSCK" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *--no-verify-data* ]]
	[[ "$output" == *--verify-data* ]]
	[[ "$output" == *--backing-size* ]]
}

@test "usage errors of fsck's own options exit 16 (e2fsck's) and name the option" {
	run "$FSCK" -n -y "$W/kfresh.pmem"
	[ "$status" -eq 16 ]
	[[ "$output" == *"only one of"* ]]
	run "$FSCK" -a -y "$W/kfresh.pmem"
	[ "$status" -eq 16 ]
	[[ "$output" == *"only one of"* ]]
	run "$FSCK" --backing-size 12x "$W/kfresh.pmem"
	[ "$status" -eq 16 ]
	[[ "$output" == *"--backing-size: '12x' is not a size"* ]]
	run "$FSCK" --data-crc maybe "$W/kfresh.pmem"
	[ "$status" -eq 16 ]
	[[ "$output" == *"--data-crc: 'maybe'"* ]]
	run "$FSCK" --verify-data --no-verify-data "$W/kfresh.pmem"
	[ "$status" -eq 16 ]
	run "$FSCK" -C 1024 "$W/kfresh.pmem"
	[ "$status" -eq 16 ]
	[[ "$output" == *"--progress-fd: '1024' is not a number in 0-1023"* ]]
}

@test "-a is -p, as e2fsck; -C FD writes progress lines for fsck(8)" {
	cp "$W/kfresh.pmem" "$W/a.pmem"
	run "$FSCK" -a "$W/a.pmem"
	[ "$status" -eq 0 ]
	run "$FSCK" -C 3 --backing-size $BACK "$W/a.pmem" 3> "$W/progress"
	[ "$status" -eq 0 ]
	[ -s "$W/progress" ]
	# every line: PHASE DONE TOTAL DEVICE, phases numbered from 1
	awk -v d="$W/a.pmem" 'NF != 4 || $1 < 1 || $2 > $3 || $4 != d { bad = 1 }
		END { exit bad }' "$W/progress"
	run "$FSCK" --json --backing-size $BACK "$W/a.pmem"
	[ "$status" -eq 0 ]
	run "$FSCK" -j --backing-size $BACK "$W/a.pmem"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.summary.exit_code == 0'
}

@test "--verify-data is accepted and is the default; --no-verify-data says the data was not checked" {
	fsck_json "$W/a.json" --verify-data --backing-size $BACK "$W/kcrc-crash.pmem"
	[ "$rc" -eq 0 ]
	jq -e '.usage.verified_keys == 612 and .usage.data_check == "done"' "$W/a.json"
	fsck_json "$W/b.json" --no-verify-data --backing-size $BACK "$W/kcrc-crash.pmem"
	[ "$rc" -eq 0 ]
	jq -e '.usage.verified_keys == 0 and .usage.data_check == "skipped"' "$W/b.json"
	jq -e '[.findings[] | select(.code == "PC-DATA-UNVERIFIED") | .severity] == ["harmless"]' "$W/b.json"
	fsck_json "$W/k.json" --no-verify-data "$W/kfresh.pmem"
	jq -e '.usage.data_check == "none"' "$W/k.json"
	! codes "$W/k.json" | grep -qx PC-DATA-UNVERIFIED
}

@test "a missing device or a directory is an operational error (8), one line" {
	run "$FSCK" "$W/no-such-file"
	[ "$status" -eq 8 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *no-such-file* ]]
	run "$FSCK" "$W"
	[ "$status" -eq 8 ]
}

# ---- fixtures written by the kernel ------------------------------------

@test "kernel fixtures check clean (data CRCs verified by default), -n leaves them unchanged" {
	for f in kfresh kcrc-clean kcrc-crash; do
		before=$(sum "$W/$f.pmem")
		fsck_json "$W/$f.json" -n --backing-size $BACK "$W/$f.pmem"
		[ "$rc" -eq 0 ]
		[ "$(sum "$W/$f.pmem")" = "$before" ]
		[ "$(jq -r '.summary.kernel_accepts' "$W/$f.json")" = true ]
		[ "$(jq '[.findings[] | select(.severity != "info")] | length' "$W/$f.json")" -eq 0 ]
	done
}

@test "kcrc-crash: usage matches the kernel's status line, dirty data reported" {
	fsck_json "$W/c.json" --backing-size $BACK "$W/kcrc-crash.pmem"
	[ "$rc" -eq 0 ]
	[ "$(jq -r .usage.data_check "$W/c.json")" = done ]
	[ "$(jq -r .usage.status_line "$W/c.json")" = "0 63 63 3 70 1183 0:24720 0:0 0:0" ]
	[ "$(jq -r .usage.keys "$W/c.json")" -eq 612 ]
	[ "$(jq -r .usage.verified_keys "$W/c.json")" -eq 612 ]
	[ "$(jq -r '.usage.dirty_bytes > 0' "$W/c.json")" = true ]
	codes "$W/c.json" | grep -qx PC-DIRTY-DATA
	fsck_json "$W/k.json" --backing-size $BACK "$W/kfresh.pmem"
	[ "$(jq -r .usage.status_line "$W/k.json")" = "0 63 63 1 70 1182 0:0 0:0 0:0" ]
}

@test "kcrc-clean: nothing dirty; --backing takes the size from a device" {
	fsck_json "$W/c.json" --backing "$W/kcrc-clean.backing" "$W/kcrc-clean.pmem"
	[ "$rc" -eq 0 ]
	[ "$(jq -r .usage.dirty_bytes "$W/c.json")" -eq 0 ]
	! codes "$W/c.json" | grep -qx PC-BACKING-UNKNOWN
}

# ---- C54: the backing device's bytes ------------------------------------

@test "C54: kcrc-clean matches its backing device; --backing-size compares nothing" {
	fsck_json "$W/c.json" --backing "$W/kcrc-clean.backing" "$W/kcrc-clean.pmem"
	[ "$rc" -eq 0 ]
	! codes "$W/c.json" | grep -qx PC-BACKING-DIFF
	jq -e '.usage | .backing_compared and .backing_extents == 482 and .backing_bytes == .live_bytes and .backing_diffs == 0' "$W/c.json"
	fsck_json "$W/s.json" --backing-size $BACK "$W/kcrc-clean.pmem"
	[ "$rc" -eq 0 ]
	jq -e '.usage | (.backing_compared | not) and .backing_extents == 0' "$W/s.json"
}

@test "C54: kcrc-clean against a zero backing device: every extent differs" {
	fsck_json "$W/z.json" --backing "$W/kcrc-crash.backing" "$W/kcrc-clean.pmem"
	[ "$rc" -eq 4 ]
	jq -e '.summary.by_code == {"PC-BACKING-DIFF": 482} and .usage.backing_diffs == 482' "$W/z.json"
	jq -e '.summary.kernel_accepts and .summary.unrepaired_errors == 482' "$W/z.json"
	# listed up to the per-code cap, each naming its backing range
	jq -e '[.findings[] | select(.code == "PC-BACKING-DIFF")] | length == 16 and all(.severity == "inconsistent" and (.ranges | length) == 1 and .dev_offset != null)' "$W/z.json"
}

@test "C54: kcrc-crash holds only dirty data: nothing to compare" {
	fsck_json "$W/d.json" --backing "$W/kcrc-crash.backing" "$W/kcrc-crash.pmem"
	[ "$rc" -eq 0 ]
	! codes "$W/d.json" | grep -qx PC-BACKING-DIFF
	jq -e '.usage | .backing_compared and .backing_extents == 0 and .dirty_bytes == .live_bytes' "$W/d.json"
}

@test "C54: one changed byte in a clean extent's backing is one PC-BACKING-DIFF" {
	"$MK" "$W/bk.img" backing-ok
	fsck_json "$W/bk.json" --backing "$W/bk.img.backing" "$W/bk.img"
	[ "$rc" -eq 0 ]
	# the written-back extent before dirty_tail and the clean one
	jq -e '.usage | .backing_extents == 2 and .backing_bytes == 73728 and .backing_diffs == 0' "$W/bk.json"
	"$MK" "$W/bd.img" backing-diff
	fsck_json "$W/bd.json" --backing "$W/bd.img.backing" "$W/bd.img"
	[ "$rc" -eq 4 ]
	jq -e '.summary.by_code["PC-BACKING-DIFF"] == 1 and .usage.backing_diffs == 1' "$W/bd.json"
	jq -e '[.findings[] | select(.code == "PC-BACKING-DIFF") | .ranges] == [[{"offset": 1048576, "length": 8192}]]' "$W/bd.json"
	run "$FSCK" --backing "$W/bd.img.backing" "$W/bd.img"
	[ "$status" -eq 4 ]
	[[ "$output" == *"PC-BACKING-DIFF"*"backing bytes 1048576+8192 differ"*"from backing byte 1052673"* ]]
	[[ "$output" == *"backing: 2 extents, 72.00 KiB compared, 1 differ"* ]]
}

@test "--data-crc against the cache's flag (C12)" {
	fsck_json "$W/a.json" --data-crc true "$W/kcrc-clean.pmem"
	[ "$rc" -eq 0 ]
	fsck_json "$W/b.json" --data-crc true "$W/kfresh.pmem"
	[ "$rc" -eq 4 ]
	codes "$W/b.json" | grep -qx PC-INFO-DATA-CRC
	[ "$(jq -r .summary.kernel_accepts "$W/b.json")" = false ]
}

@test "text report ends with a verdict line naming the device" {
	run "$FSCK" --backing-size $BACK "$W/kcrc-crash.pmem"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == *"kcrc-crash.pmem: consistent; 8.01 MiB dirty, not yet written back (1 finding, 0 repaired, exit 0)" ]]
	[[ "$output" == *"status after activation: 0 63 63 3 70 1183 0:24720 0:0 0:0"* ]]
}

@test "JSON report: header, arrays, numbers" {
	fsck_json "$W/j.json" "$W/kcrc-crash.pmem"
	jq -e '.__header.tool == "pcache-fsck" and .__header.version == 1' "$W/j.json"
	jq -e '(.findings | type) == "array" and (.usage.key_segments | type) == "array"' "$W/j.json"
	jq -e '(.usage.data_segments | type) == "array" and (.usage.live_bytes | type) == "number"' "$W/j.json"
	jq -e '.findings[] | (.ranges | type) == "array"' "$W/j.json"
	jq -e '.summary.exit_code == 0' "$W/j.json"
}

# ---- one image per finding code ----------------------------------------

# case NAME CODE EXIT_N EXIT_Y: the code is reported by -n with EXIT_N, the
# image is unchanged; -y exits EXIT_Y; when that includes 1 (corrected) the
# code is marked repaired, PC-FIX-* findings appear and a second -n run is
# clean (exit 0, code gone). Otherwise the second run reports it again.
case_check() {
	local name=$1 code=$2 en=$3 ey=$4 img=$W/$1.img before
	"$MK" "$img" "$name"
	before=$(sum "$img")
	fsck_json "$W/$name.1.json" -n --backing-size $BACK "$img"
	[ "$(sum "$img")" = "$before" ] || { echo "-n wrote to $img"; return 1; }
	codes "$W/$name.1.json" | grep -qx -- "$code" ||
		{ echo "$code missing:"; codes "$W/$name.1.json"; return 1; }
	[ "$rc" -eq "$en" ] || { echo "-n exit $rc, want $en"; return 1; }
	fsck_json "$W/$name.2.json" -y --backing-size $BACK "$img"
	[ "$rc" -eq "$ey" ] || { echo "-y exit $rc, want $ey"; cat "$W/$name.2.json"; return 1; }
	fsck_json "$W/$name.3.json" -n --backing-size $BACK "$img"
	if [ $((ey & 1)) -eq 1 ]; then
		jq -e --arg c "$code" '[.findings[] | select(.code == $c) | .repaired] | all' "$W/$name.2.json"
		jq -e '[.findings[] | select(.code | startswith("PC-FIX-"))] | length > 0' "$W/$name.2.json"
		[ "$rc" -eq 0 ] || { echo "second run exit $rc"; codes "$W/$name.3.json"; return 1; }
		! codes "$W/$name.3.json" | grep -qx -- "$code"
	else
		[ "$rc" -eq "$en" ]
		codes "$W/$name.3.json" | grep -qx -- "$code"
	fi
}

@test "clean image: no finding but dirty data, exit 0" { case_check clean PC-DIRTY-DATA 0 0; }
@test "C1 PC-DEV-SMALL" { case_check small PC-DEV-SMALL 4 4; }
@test "PC-DEV-READ: a 100-byte file" { case_check tiny PC-DEV-READ 4 4; }
@test "C2 PC-SB-UNFORMATTED" { case_check zeros PC-SB-UNFORMATTED 0 0; }
@test "C2 PC-SB-UNFORMATTED-USED (rebuilt by -y)" { case_check sb-zero PC-SB-UNFORMATTED-USED 4 1; }
@test "C3 PC-SB-MAGIC over a cache (rebuilt by -y)" { case_check sb-magic PC-SB-MAGIC 4 1; }
@test "C4 PC-SB-CRC (rebuilt by -y)" { case_check sb-crc PC-SB-CRC 4 1; }
@test "C5 PC-SB-ENDIAN: a big-endian image decodes; the flag is the only reject" {
	case_check sb-endian PC-SB-ENDIAN 4 4
	# every native field is swapped: the rest of the cache reads as valid
	jq -e '[.findings[] | select(.severity == "reject") | .code] == ["PC-SB-ENDIAN"]' "$W/sb-endian.1.json"
	jq -e '[.findings[] | select(.severity != "info") | .code] == ["PC-SB-ENDIAN"]' "$W/sb-endian.1.json"
	jq -e '.usage.loaded and .usage.keys == 4 and .usage.verified_keys == 4' "$W/sb-endian.1.json"
}
@test "C6 PC-SB-FLAGS" { case_check sb-flags PC-SB-FLAGS 0 0; }
@test "C7 PC-SB-SEG-NUM" { case_check sb-seg-num PC-SB-SEG-NUM 4 4; }
@test "C8 PC-SB-UNUSED" { case_check unused PC-SB-UNUSED 0 0; }
@test "C9 PC-INFO-NONE" { case_check info-none PC-INFO-NONE 4 4; }
@test "C9 PC-INFO-NONE-FRESH" { case_check info-none-fresh PC-INFO-NONE-FRESH 0 0; }
@test "C10 PC-INFO-TORN (repaired)" { case_check info-torn PC-INFO-TORN 0 1; }
@test "C11 PC-INFO-SEQ (repaired)" { case_check info-seq PC-INFO-SEQ 4 1; }
@test "C13 PC-INFO-NOINIT" { case_check info-noinit PC-INFO-NOINIT 4 4; }
@test "C13 PC-INFO-LAZY: lazy format is harmless" { case_check lazy PC-INFO-LAZY 0 0; }
@test "C14 PC-INFO-NSEGS-ZERO" { case_check nsegs-zero PC-INFO-NSEGS-ZERO 4 4; }
@test "C15 PC-INFO-NSEGS-BIG" { case_check nsegs-big PC-INFO-NSEGS-BIG 4 4; }
@test "C16 PC-INFO-NSEGS-SMALL" { case_check nsegs-small PC-INFO-NSEGS-SMALL 4 4; }
@test "C17 PC-INFO-MODE" { case_check info-mode PC-INFO-MODE 0 0; }
@test "C18 PC-INFO-GC" { case_check info-gc PC-INFO-GC 4 4; }
@test "C19 PC-INFO-RESERVED" { case_check info-reserved PC-INFO-RESERVED 0 0; }
@test "PC-INFO-STRIDE" { case_check info-stride PC-INFO-STRIDE 0 0; }
@test "C20 PC-CHAIN-RANGE" { case_check chain-range PC-CHAIN-RANGE 4 4; }
@test "C21 PC-SEGINFO-NONE (inferred by -y)" { case_check seginfo-none PC-SEGINFO-NONE 4 1; }
@test "C22 PC-CHAIN-SHORT (link inferred by -y)" { case_check chain-short PC-CHAIN-SHORT 4 1; }
@test "C23 PC-CHAIN-DUP" { case_check chain-dup PC-CHAIN-DUP 4 4; }
@test "C24 PC-CHAIN-LAST-NEXT" { case_check chain-last-next PC-CHAIN-LAST-NEXT 0 0; }
@test "C25 PC-SEGINFO-TYPE" { case_check seginfo-type PC-SEGINFO-TYPE 0 0; }
@test "C10 PC-SEGINFO-TORN (repaired)" { case_check seginfo-torn PC-SEGINFO-TORN 0 1; }
@test "C26 PC-SEGINFO-SEQ (repaired)" { case_check seginfo-seq PC-SEGINFO-SEQ 4 1; }
@test "PC-SEGINFO-STRIDE" { case_check seginfo-stride PC-SEGINFO-STRIDE 0 0; }
@test "C27 PC-GEN-NONE" { case_check gen-none PC-GEN-NONE 0 0; }
@test "C27 PC-GEN-NONE-USED (repaired)" { case_check gen-none-used PC-GEN-NONE-USED 4 1; }
@test "C10 PC-GEN-TORN (repaired)" { case_check gen-torn PC-GEN-TORN 0 1; }
@test "C28 PC-GEN-SEQ (repaired)" { case_check gen-seq PC-GEN-SEQ 4 1; }
@test "C29 PC-TAIL-ORPHAN" { case_check info-none PC-TAIL-ORPHAN 4 4; }
@test "C30 PC-TAIL-NONE" { case_check tail-none PC-TAIL-NONE 4 4; }
@test "C10 PC-TAIL-TORN (repaired)" { case_check tail-torn PC-TAIL-TORN 0 1; }
@test "C31 PC-TAIL-RANGE" { case_check tail-range PC-TAIL-RANGE 4 4; }
@test "C32 PC-TAIL-ALIGN" { case_check tail-align PC-TAIL-ALIGN 4 4; }
@test "C33 PC-TAIL-DRIFT (repaired)" { case_check tail-drift PC-TAIL-DRIFT 0 1; }
@test "C33 PC-TAIL-STALE: the further copy is kept" { case_check tail-stale PC-TAIL-STALE 4 4; }
@test "C34 PC-DLOG-WALK" { case_check dlog-walk PC-DLOG-WALK 4 4; }
@test "C35 PC-LOG-NEXT" { case_check log-next PC-LOG-NEXT 4 4; }
@test "C35 PC-LOG-LOOP" { case_check log-loop PC-LOG-LOOP 4 4; }
@test "C35 PC-LOG-REENTER" { case_check log-reenter PC-LOG-REENTER 4 4; }
@test "C36 PC-KEY-LEN-ZERO" { case_check key-len0 PC-KEY-LEN-ZERO 4 4; }
@test "C36 PC-KEY-BACKING" { case_check key-backing PC-KEY-BACKING 4 4; }
@test "C36 PC-KEY-SEG-ID" { case_check key-seg-id PC-KEY-SEG-ID 4 4; }
@test "C36 PC-KEY-SEG-OVERFLOW" { case_check key-seg-overflow PC-KEY-SEG-OVERFLOW 4 4; }
@test "C36 PC-KEY-DATA-CRC" { case_check key-data-crc PC-KEY-DATA-CRC 4 4; }
@test "C37 PC-DTAIL-OFF-LOG behind key_tail (repaired)" { case_check dtail-behind PC-DTAIL-OFF-LOG 4 1; }
@test "C38 PC-LOG-NOFIT (repaired)" { case_check log-nofit PC-LOG-NOFIT 0 1; }
@test "C38 PC-LOG-OVERRUN (repaired)" { case_check log-overrun PC-LOG-OVERRUN 4 1; }
@test "C38 PC-LOG-OVERRUN past key_tail, over an earlier kset's bytes (repaired)" { case_check log-overrun-mid PC-LOG-OVERRUN 4 1; }
@test "C38 PC-LOG-OVERRUN with 16 bytes left, over an earlier kset's header (repaired)" { case_check log-hdr-overrun-mid PC-LOG-OVERRUN 4 1; }
@test "C38 PC-LOG-OVERRUN with 0 bytes left: nothing to zero, not repaired" { case_check log-end-exact PC-LOG-OVERRUN 4 4; }
@test "C39 PC-LOG-TORN (repaired)" { case_check log-torn PC-LOG-TORN 0 1; }
@test "C39 PC-LOG-TRUNCATED" { case_check log-truncated PC-LOG-TRUNCATED 4 4; }
@test "C40 PC-KSET-EMPTY" { case_check kset-empty PC-KSET-EMPTY 0 0; }
@test "C40 PC-KSET-FLAGS" { case_check kset-flags PC-KSET-FLAGS 0 0; }
@test "C41 PC-KEY-EMPTY" { case_check key-empty PC-KEY-EMPTY 4 4; }
@test "C42 PC-KEY-FLAGS" { case_check key-flags PC-KEY-FLAGS 0 0; }
@test "C43 PC-KEY-ALIGN" { case_check key-align PC-KEY-ALIGN 4 4; }
@test "C44 PC-KEY-SUBTREE" { case_check key-subtree PC-KEY-SUBTREE 4 4; }
@test "C45 PC-KEY-SEG-OFF-ALIGN" { case_check key-seg-off-align PC-KEY-SEG-OFF-ALIGN 0 0; }
@test "C46 PC-KEY-STALE-TAIL" { case_check stale-tail PC-KEY-STALE-TAIL 0 0; }
@test "C47 PC-KEY-STALE" { case_check stale PC-KEY-STALE 4 4; }
@test "C48 PC-KEY-GEN-AHEAD (repaired)" { case_check gen-ahead PC-KEY-GEN-AHEAD 4 1; }
@test "C49 PC-KEY-IN-KEY-SEG" { case_check key-in-key-seg PC-KEY-IN-KEY-SEG 4 4; }
@test "C50 PC-KEY-OVERLAP" { case_check key-overlap PC-KEY-OVERLAP 4 4; }
@test "C51 PC-KEY-RESERVED" { case_check key-reserved PC-KEY-RESERVED 0 0; }

# accepts IMAGE MODULE: kernel_accepts of --module=MODULE (-n; a subshell:
# the exit status is not kept)
accepts() {
	fsck_json "$W/m.json" -n --backing-size $BACK --module="$2" "$W/$1.img"
	jq -r .summary.kernel_accepts "$W/m.json"
}

@test "--module=ours: our module's own refusals; upstream's verdict by default" {
	for c in chain-dup key-empty key-align key-subtree key-in-key-seg \
		 dtail-off log-reenter; do
		"$MK" "$W/$c.img" "$c"
		fsck_json "$W/m0.json" -n --backing-size $BACK "$W/$c.img"
		[ "$(jq -r .summary.kernel_accepts "$W/m0.json")" = true ] ||
			{ echo "$c: default"; return 1; }
		[ "$(accepts "$c" upstream)" = true ] || { echo "$c: upstream"; return 1; }
		[ "$(accepts "$c" ours)" = false ] || { echo "$c: ours"; return 1; }
		jq -r .summary.verdict "$W/m.json" | grep -qx "the kernel would refuse this cache"
		# the same findings and exit status either way
		fsck_json "$W/m1.json" -n --backing-size $BACK --module=ours "$W/$c.img"
		[ "$rc" -eq 4 ]
		[ "$(jq -c .findings "$W/m0.json")" = "$(jq -c .findings "$W/m1.json")" ]
	done
	"$MK" "$W/clean.img" clean
	fsck_json "$W/c0.json" -n --backing-size $BACK "$W/clean.img"
	fsck_json "$W/c1.json" -n --backing-size $BACK --module=ours "$W/clean.img"
	[ "$rc" -eq 0 ]
	cmp "$W/c0.json" "$W/c1.json"
	"$MK" "$W/log-loop.img" log-loop
	[ "$(accepts log-loop upstream)" = false ]
	[ "$(accepts log-loop ours)" = false ]
	# E1: upstream refuses, ours ends the log at the kset that does not fit
	for c in log-overrun log-overrun-mid log-hdr-overrun-mid log-end-exact; do
		"$MK" "$W/$c.img" "$c"
		[ "$(accepts "$c" upstream)" = false ] || { echo "$c: upstream"; return 1; }
		[ "$(accepts "$c" ours)" = true ] || { echo "$c: ours"; return 1; }
	done
}

@test "--module=ours: a refusal repaired is no refusal" {
	"$MK" "$W/db.img" dtail-behind
	fsck_json "$W/db.json" -y --backing-size $BACK --module=ours "$W/db.img"
	[ "$rc" -eq 1 ]
	[ "$(jq -r .summary.kernel_accepts "$W/db.json")" = true ]
}

@test "--module: anything but upstream or ours is a usage error" {
	run "$FSCK" -n --module=mine "$W/kfresh.pmem"
	[ "$status" -eq 16 ]
	[[ "$output" == *"--module: 'mine' is neither upstream nor ours"* ]]
}

@test "C37 dirty_tail off the log: repair refused, affected ranges listed" {
	"$MK" "$W/d.img" dtail-off
	fsck_json "$W/d.json" -y --backing-size $BACK "$W/d.img"
	[ "$rc" -eq 4 ]
	jq -e '.findings[] | select(.code == "PC-DTAIL-OFF-LOG") | .refused and (.ranges | length) == 3' "$W/d.json"
	jq -e '[.findings[] | select(.code == "PC-DTAIL-OFF-LOG") | .ranges[0]] == [{"offset": 0, "length": 65536}]' "$W/d.json"
}

@test "PC-BACKING-UNKNOWN without a backing size (harmless)" {
	"$MK" "$W/b.img" clean
	fsck_json "$W/b.json" "$W/b.img"
	[ "$rc" -eq 0 ]
	codes "$W/b.json" | grep -qx PC-BACKING-UNKNOWN
}

@test "-p repairs only what is safe without asking" {
	"$MK" "$W/p.img" info-torn
	fsck_json "$W/p.json" -p "$W/p.img"
	[ "$rc" -eq 1 ]
	"$MK" "$W/q.img" dtail-behind
	fsck_json "$W/q.json" -p "$W/q.img"
	[ "$rc" -eq 4 ]
	jq -e '[.findings[] | select(.code == "PC-DTAIL-OFF-LOG") | .repaired] == [false]' "$W/q.json"
}

@test "repairs write only the slot that is not the newest copy" {
	"$MK" "$W/r.img" info-torn
	good=$(dd if="$W/r.img" bs=1 skip=12288 count=24 2>/dev/null | od -An -tx1)
	fsck_json "$W/r.json" -y "$W/r.img"
	[ "$rc" -eq 1 ]
	[ "$(dd if="$W/r.img" bs=1 skip=12288 count=24 2>/dev/null | od -An -tx1)" = "$good" ]
	jq -e '.findings[] | select(.code == "PC-FIX-SLOT") | .slot == 0 and .dev_offset == 8192' "$W/r.json"
}

# ---- arbitrary bytes ----------------------------------------------------

# High-entropy but fixed bytes (a compressed fixture), so runs repeat.
noise() { tail -c +$((1 + $2)) "$FIX/kcrc-clean.pmem.zst" | head -c "$1"; }

@test "any byte string ends in a report or a clear error, never a crash" {
	for len in 0 1 23 4096 4119 4120 4121 20479 20480 65536 1048576; do
		noise $len $len > "$W/rand.img"
		rc=0
		timeout 30 "$FSCK" -n "$W/rand.img" > "$W/rand.out" 2>&1 || rc=$?
		[ "$rc" -eq 0 ] || [ "$rc" -eq 4 ] || { echo "len $len: exit $rc"; cat "$W/rand.out"; return 1; }
	done
	# a formatted header over random segments
	"$MK" "$W/r2.img" clean
	for seed in 1 2 3; do
		cp --sparse=always "$W/r2.img" "$W/r3.img"
		noise 65536 $((seed * 100000)) | dd of="$W/r3.img" bs=4096 seek=$((5 + seed)) conv=notrunc 2>/dev/null
		rc=0
		timeout 30 "$FSCK" -y "$W/r3.img" > "$W/rand.out" 2>&1 || rc=$?
		[ "$rc" -lt 8 ] || { cat "$W/rand.out"; return 1; }
	done
}

# ---- the findings table drives the manual ------------------------------

@test "every finding code is in the manual page, with a stable shape" {
	run "$FSCK" --list-findings
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -gt 70 ]
	man=$BATS_TEST_DIRNAME/../cmd/pcache-fsck/pcache-fsck.8
	for l in "${lines[@]}"; do
		code=${l%%$'\t'*}
		[[ "$code" =~ ^PC-[A-Z0-9-]+$ ]]
		grep -q "^\.B ${code//-/\\\\-}\$" "$man" || { echo "$code not in $man"; return 1; }
	done
}

@test "-v prints the segments in use" {
	run "$FSCK" -v --backing-size $BACK "$W/kcrc-crash.pmem"
	[ "$status" -eq 0 ]
	[[ "$output" == *"key segments: 0"* ]]
	[[ "$output" == *"data segments"* ]]
}
