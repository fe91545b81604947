#!/usr/bin/env bats
# pcache-metadump: a capture of the kernel fixtures and of generated caches
# (every pcache-mkimage case: damaged slots, torn heads, loops; and
# pcache-genlog logs that wrap) restores into an image whose pcache-fsck
# findings, pcache-dump output and replayed index equal the original's,
# whose data reads as zeros, and which fsck's data verification reports as
# not captured. Hostile capture files get an exact message and exit 1.

load helpers

setup_file() {
	export BIN=${PCACHE_BIN:-$BATS_TEST_DIRNAME/../build}
	export MD=$BIN/pcache-metadump FSCK=$BIN/pcache-fsck DUMP=$BIN/pcache-dump
	export MK=$BIN/testtools/pcache-mkimage GEN=$BIN/testtools/pcache-genlog
	export W=$BATS_FILE_TMPDIR BACK=268435456
	# with the data CRC check on by default (--no-verify-data), skip it
	# for the comparisons: the restored data is zeros by design
	export NOVERIFY=
	"$FSCK" --help | grep -q -- --no-verify-data && NOVERIFY=--no-verify-data
	for f in kfresh kcrc-clean kcrc-crash; do
		zstd -q -d -f "$FIXTURES/$f.pmem.zst" -o "$W/$f"
	done
}

# same_view A B: fsck (JSON findings, exit status), dump (default, --log,
# --segments, --json) and replay output equal, device paths aside.
same_view() {
	local a=$1 b=$2 x
	for x in "$a" "$b"; do
		{
			"$FSCK" --json $NOVERIFY --backing-size "$BACK" "$x" |
				jq -c '.findings'
			echo "fsck ${PIPESTATUS[0]}"
			"$DUMP" "$x"; echo "dump $?"
			"$DUMP" --log "$x"; echo "log $?"
			"$DUMP" --segments "$x"; echo "segs $?"
			"$DUMP" --json "$x" | jq -c 'del(.__header)'
			"$DUMP" --replay --no-verify "$x"; echo "replay $?"
		} 2> "$x.err" | sed "s|$x|DEVICE|g" > "$x.view"
		sed "s|$x|DEVICE|g" "$x.err" >> "$x.view"
	done
	diff "$a.view" "$b.view"
}

# roundtrip IMAGE: capture, restore, compare
roundtrip() {
	rm -f "$1.md" "$1.r"
	"$MD" "$1" "$1.md" > /dev/null
	"$MD" --restore "$1.md" "$1.r" > /dev/null
	same_view "$1" "$1.r"
}

@test "--version and usage errors" {
	run "$MD" --version
	[ "$status" -eq 0 ]
	[[ $output == "pcache-metadump (pcache-tools) "* ]]
	run "$MD" only-one
	[ "$status" -eq 16 ]
	[[ ${lines[0]} == "pcache-metadump: missing DEVICE and FILE argument" ]]
	run "$MD" --restore a
	[ "$status" -eq 16 ]
	run "$MD" --info a b
	[ "$status" -eq 16 ]
	run "$MD" --info --restore a b
	[ "$status" -eq 16 ]
}

@test "kernel fixtures: findings, dump and replay survive the round trip" {
	for f in kfresh kcrc-clean kcrc-crash; do
		roundtrip "$W/$f"
	done
	# the kernel's torn-free log of kcrc-crash: 612 keys on both
	[ "$("$DUMP" --json --replay --no-verify "$W/kcrc-crash.r" |
		jq '.replay.totals.keys')" -eq 612 ]
}

@test "every pcache-mkimage case survives the round trip" {
	local c n=0
	for c in $("$MK" --list); do
		[ "$c" = tiny ] && continue	# too small to hold a header
		# salvage takes the damaged kset's keys only where their data
		# CRCs prove them, and a capture holds no data
		[ "$c" = log-truncated ] && continue
		"$MK" "$W/mk-$c" "$c" > /dev/null
		roundtrip "$W/mk-$c" || { echo "case $c differs"; return 1; }
		rm -f "$W/mk-$c" "$W/mk-$c.r" "$W/mk-$c.md"
		n=$((n + 1))
	done
	[ "$n" -gt 60 ]
}

@test "logs over several key segments from pcache-genlog survive the round trip" {
	# one 64-byte kset per 512-byte write: the log needs a second segment
	"$GEN" --image-size 1G --backing-size 256M --size 136M --bs 512 \
		--flush-every 1 --clean 20 --data-crc --seed 3 "$W/wrap" > /dev/null
	"$GEN" --append --size 50M --backing-size 256M --bs 65536 \
		--random-len --seed 5 "$W/wrap" > /dev/null
	roundtrip "$W/wrap"
	# more than one key segment, and a LAST link in the log
	[ "$("$MD" --info --json "$W/wrap.md" | jq .key_segments)" -gt 1 ]
	"$DUMP" --log "$W/wrap" | grep -q LAST
}

@test "data reads as zeros on the restored image; metadata is equal" {
	local f=$W/kcrc-crash
	roundtrip "$f"
	# the first data segment's extent of the manifest (cache segment 1)
	local off=$((20480 + 16777216 + 12288))
	[ "$(dd if="$f" bs=4096 skip=$((off / 4096)) count=256 2>/dev/null |
		sha256sum)" != "$(head -c 1048576 /dev/zero | sha256sum)" ]
	[ "$(dd if="$f.r" bs=4096 skip=$((off / 4096)) count=256 2>/dev/null |
		sha256sum)" = "$(head -c 1048576 /dev/zero | sha256sum)" ]
	# header and control area byte for byte
	[ "$(bytes_at "$f" 4096 16384)" = "$(bytes_at "$f.r" 4096 16384)" ]
	# the mark at offset 0, where the kernel never looks
	[ "$(head -c 15 "$f.r")" = pcache-metadump ]
}

@test "fsck data verification on a restored image: not captured, not corrupt" {
	local f=$W/kcrc-crash
	roundtrip "$f"
	run "$FSCK" --json --verify-data --backing-size "$BACK" "$f.r"
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.findings[].code] | join(",")' <<< "$output")" = \
		"PC-DIRTY-DATA,PC-DATA-NOT-CAPTURED" ]
	jq -r '.findings[1].message' <<< "$output" | grep -q '612 keys'
	run "$FSCK" --json --verify-data --backing-size "$BACK" "$f"
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.findings[].code] | join(",")' <<< "$output")" = \
		PC-DIRTY-DATA ]
}

@test "--info shows what the capture holds" {
	local f=$W/kcrc-crash
	rm -f "$f.md"
	"$MD" "$f" "$f.md" > /dev/null
	run "$MD" --info "$f.md"
	[ "$status" -eq 0 ]
	[[ ${lines[1]} == "format         pcache-metadump version 1, written by pcache-tools "* ]]
	[ "${lines[2]}" = "device size    1073741824 (1.00 GiB), seg_num 63, 1 key segment" ]
	[[ $output == *"data           not captured"* ]]
	run "$MD" --info --json "$f.md"
	[ "$status" -eq 0 ]
	[ "$(jq .dev_size <<< "$output")" -eq 1073741824 ]
	[ "$(jq .kinds.log.bytes <<< "$output")" -gt 24000 ]
	[ "$(jq .data_captured <<< "$output")" = false ]
	[ "$(jq .file_bytes <<< "$output")" -eq "$(stat -c %s "$f.md")" ]
}

@test "capture is read-only and refuses to overwrite a non-empty FILE" {
	local f=$W/kcrc-clean before
	before=$(sha256sum < "$f")
	echo keep > "$W/other"
	run "$MD" "$f" "$W/other"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-metadump: $W/other: FILE exists and is not empty (5 bytes); use --force to overwrite it" ]
	[ "$(cat "$W/other")" = keep ]
	run "$MD" --force "$f" "$W/other"
	[ "$status" -eq 0 ]
	[ "$(sha256sum < "$f")" = "$before" ]
	run "$MD" "$f" "$f"
	[ "$status" -eq 1 ]
	[ "$(sha256sum < "$f")" = "$before" ]
}

@test "--restore refuses a non-empty IMAGE; both files unchanged" {
	local f=$W/kcrc-clean a b
	rm -f "$f.md"
	"$MD" "$f" "$f.md" > /dev/null
	cp "$W/kfresh" "$W/victim"
	a=$(sha256sum < "$W/victim")
	b=$(sha256sum < "$f.md")
	run "$MD" --restore "$f.md" "$W/victim"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-metadump: $W/victim: IMAGE exists and is not empty (1073741824 bytes); use --force to overwrite it" ]
	[ "$(sha256sum < "$W/victim")" = "$a" ]
	[ "$(sha256sum < "$f.md")" = "$b" ]
	run "$MD" --restore --force "$f.md" "$W/victim"
	[ "$status" -eq 0 ]
	same_view "$f" "$W/victim"
	# an empty IMAGE is taken without --force
	: > "$W/empty"
	run "$MD" --restore "$f.md" "$W/empty"
	[ "$status" -eq 0 ]
}

@test "--restore takes the exclusive lock" {
	local f=$W/kfresh
	rm -f "$f.md" "$W/locked"
	"$MD" "$f" "$f.md" > /dev/null
	: > "$W/locked"
	flock -s "$W/locked" sleep 5 &
	local holder=$!
	sleep 0.3
	run "$MD" --restore "$f.md" "$W/locked"
	kill "$holder" 2> /dev/null || true
	wait "$holder" 2> /dev/null || true
	[ "$status" -eq 1 ]
	[[ $output == "pcache-metadump: $W/locked: locked by "* ]]
	[ ! -s "$W/locked" ]
}

# ---- hostile capture files ---------------------------------------------

# a small capture of kfresh to damage
small_capture() {
	rm -f "$W/s.md"
	"$MD" "$W/kfresh" "$W/s.md" > /dev/null
}

# restore_fails FILE MESSAGE: exit 1, the message, nothing written
restore_fails() {
	rm -f "$W/out.img"
	run "$MD" --restore "$1" "$W/out.img"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-metadump: $1: $2" ]
	[ ! -e "$W/out.img" ]
	run "$MD" --info "$1"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-metadump: $1: $2" ]
}

# flip FILE OFFSET: invert one byte
flip() {
	"$PY" - "$1" "$2" <<'PYEOF'
import sys
p, o = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, 'rb').read())
b[o] ^= 0xff
open(p, 'wb').write(b)
PYEOF
}

@test "hostile: not a capture, empty, truncated header" {
	small_capture
	restore_fails "$W/kfresh" "not a pcache-metadump capture (bad magic)"
	: > "$W/e.md"
	restore_fails "$W/e.md" "truncated: 0 of the 64 header bytes"
	head -c 40 "$W/s.md" > "$W/t.md"
	restore_fails "$W/t.md" "truncated: 40 of the 64 header bytes"
}

@test "hostile: a flipped header byte, a wrong version, an absurd size" {
	small_capture
	cp "$W/s.md" "$W/h.md"
	flip "$W/h.md" 33
	run "$MD" --info "$W/h.md"
	[ "$status" -eq 1 ]
	[[ $output == "pcache-metadump: $W/h.md: header checksum mismatch (stored 0x"*"): the capture is damaged" ]]
	# version 2 and a device size of 2^60, each with a correct CRC
	"$PY" - "$W/s.md" "$W/v.md" "$W/z.md" <<'PYEOF'
import struct, sys
def crc32c(data, crc=0x3B15A):
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc
h = bytearray(open(sys.argv[1], 'rb').read())
for out, off, val in ((sys.argv[2], 8, struct.pack('<I', 2)),
                      (sys.argv[3], 24, struct.pack('<Q', 1 << 60))):
    b = bytearray(h)
    b[off:off + len(val)] = val
    b[60:64] = struct.pack('<I', crc32c(bytes(b[:60])))
    open(out, 'wb').write(b)
PYEOF
	restore_fails "$W/v.md" "capture format version 2 is not supported (this tool reads version 1)"
	restore_fails "$W/z.md" "device size 1152921504606846976 in the header is out of range (20480 .. 2^50)"
}

@test "hostile: truncations at several points" {
	small_capture
	local size n
	size=$(stat -c %s "$W/s.md")
	for n in 64 65 100 $((size / 2)) $((size - 40)); do
		head -c "$n" "$W/s.md" > "$W/t.md"
		restore_fails "$W/t.md" "truncated: the file ends inside the compressed body"
	done
	head -c $((size - 10)) "$W/s.md" > "$W/t.md"
	restore_fails "$W/t.md" "truncated: 22 of the 32 trailer bytes"
	cp "$W/s.md" "$W/t.md"
	echo x >> "$W/t.md"
	restore_fails "$W/t.md" "damaged: bytes follow the trailer"
	head -c 40000 /dev/zero >> "$W/t.md"
	restore_fails "$W/t.md" "damaged: bytes follow the trailer"
}

@test "hostile: a flipped byte in the compressed body or the trailer" {
	small_capture
	local size
	size=$(stat -c %s "$W/s.md")
	cp "$W/s.md" "$W/b.md"
	flip "$W/b.md" $((size / 2))
	run "$MD" --restore "$W/b.md" "$W/out.img"
	[ "$status" -eq 1 ]
	[[ $output == "pcache-metadump: $W/b.md: "* ]]
	[ "${#lines[@]}" -eq 1 ]
	[ ! -e "$W/out.img" ]
	cp "$W/s.md" "$W/b.md"
	flip "$W/b.md" $((size - 2))
	restore_fails "$W/b.md" "trailer checksum mismatch: the capture is damaged"
}

@test "hostile: every byte of a small capture flipped: exit 1, one line, no crash" {
	small_capture
	local size i rc
	size=$(stat -c %s "$W/s.md")
	mkdir -p "$W/flips"
	"$PY" - "$W/s.md" "$W/flips" <<'PYEOF'
import sys
b = open(sys.argv[1], 'rb').read()
for i in range(len(b)):
    x = bytearray(b)
    x[i] ^= 0xff
    open('%s/%d' % (sys.argv[2], i), 'wb').write(x)
PYEOF
	for ((i = 0; i < size; i++)); do
		rc=0
		"$MD" --info "$W/flips/$i" > /dev/null 2> "$W/f.err" || rc=$?
		if [ "$rc" -ne 1 ] || [ "$(wc -l < "$W/f.err")" -ne 1 ]; then
			echo "byte $i: exit $rc: $(cat "$W/f.err")"
			return 1
		fi
	done
}

@test "FILE - writes the capture to standard output, the summary to stderr" {
	"$MD" "$W/kfresh" - > "$W/stdout.md" 2> "$W/stdout.err"
	grep -q "captured" "$W/stdout.err"
	run "$MD" --info --json "$W/stdout.md"
	[ "$status" -eq 0 ]
	[ "$(jq .dev_size <<< "$output")" -eq 1073741824 ]
	run "$MD" --json "$W/kfresh" -
	[ "$status" -eq 16 ]
	[ "${lines[0]}" = "pcache-metadump: --json needs a FILE: the capture itself goes to standard output" ]
}

@test "pcache-dump on a restored image: the same index, data CRCs unchecked, --extract refused" {
	"$MD" "$W/kcrc-crash" "$W/x.md" > /dev/null
	"$MD" --restore "$W/x.md" "$W/x.r" > /dev/null
	run "$DUMP" --replay "$W/x.r"
	[ "$status" -eq 0 ]
	[[ "$output" == *"data crc: 0 ok, 0 bad, 0 unreadable, 482 unchecked"* ]]
	# the extents are the original's, the CRC column aside
	diff <("$DUMP" --replay --json "$W/kcrc-crash" | jq -c '[.replay.extents[] | del(.crc_state)]') \
	     <("$DUMP" --replay --json "$W/x.r" | jq -c '[.replay.extents[] | del(.crc_state)]')
	truncate -s "$BACK" "$W/x.back"
	run "$DUMP" --backing "$W/x.back" --extract 0 4096 "$W/x.r"
	[ "$status" -eq 1 ]
	[ "$output" = "pcache-dump: $W/x.r: restored by pcache-metadump: its cached data was not captured; nothing extracted" ]
	rm -f "$W/x.md" "$W/x.r" "$W/x.back"
}
