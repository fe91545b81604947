#!/usr/bin/env bats
# A damaged kset that ends the kernel's log while valid ksets follow it
# (issue 16 item 3, docs/salvage.md): fsck reports the loss with the
# dropped ranges, dump shows the ksets past the end, writeback refuses and
# --salvage rescues the data, format counts it as dirty. A torn final write
# and an older lap's ksets past the end stay harmless.
#
# Images are copies of the kernel's crash fixture kcrc-crash (10 ksets in
# cache segment 0 at 0:0 ... 0:24656, key_head 0:24720; data in segments 1
# and 2), damaged with dd and, where a CRC must be right, a few lines of
# Python.

load helpers

setup_file() {
	"$BATS_TEST_DIRNAME"/../tools/install-deps.sh dump >&2
}

# Device offset of data offset $2 in physical segment $1.
doff() {
	echo $((20480 + $1 * 16777216 + 12288 + $2))
}

setup() {
	F=$PCACHE_BIN/pcache-fsck
	D=$PCACHE_BIN/pcache-dump
	W=$PCACHE_BIN/pcache-writeback
	FMT=$PCACHE_BIN/pcache-format
	have_fixtures || skip "fixtures not found in $FIXTURES"
	WORK=$BATS_TEST_TMPDIR
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then
		WORK=$(mktemp -d /dev/shm/pcache-trunc.XXXXXX)
	fi
	C=$WORK/c.pmem
	B=$WORK/b.img
	cp --sparse=always "$(fixture kcrc-crash.pmem)" "$C"
	cp --sparse=always "$(fixture kcrc-crash.backing)" "$B"
	chmod u+w "$C" "$B"
	CLEAN_B=$(fixture kcrc-clean.backing)
}

teardown() {
	case ${WORK:-} in
	/dev/shm/pcache-trunc.*) rm -rf "$WORK" ;;
	esac
}

# put FILE OFFSET HEX: overwrite bytes in place.
put() {
	printf "$(echo "$3" | sed 's/../\\x&/g')" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# The damage patterns, all on copies of kcrc-crash.
crc_flip() { put "$C" "$(doff 0 "${1:-0}")" ff; }	# first CRC byte
garbage() {
	"$PY" -c 'import os,sys; sys.stdout.buffer.write(os.urandom(24))' |
		dd of="$C" bs=1 seek="$(doff 0 "${1:-0}")" conv=notrunc status=none
}
key_num() { put "$C" $(($(doff 0 "$1") + 4)) "$2"; }	# le32 key_num

# copy FILE SRC DST LEN: copy bytes within the image (a kset moved keeps
# a valid CRC: the CRC does not cover the position).
copy() {
	dd if="$1" of="$1" bs=1 skip="$2" seek="$3" count="$4" conv=notrunc \
		status=none
}

# last_kset FILE OFFSET NEXT: a valid LAST kset linking to cache segment NEXT.
last_kset() {
	"$PY" - "$@" <<'PYEOF'
import struct, sys
def crc32c(data, crc=0x3B15A):
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc
path, off, nxt = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
body = struct.pack('<IQQ', nxt, 0x676894A64E164F1A, 1)
with open(path, 'r+b') as f:
    f.seek(off)
    f.write(struct.pack('<I', crc32c(body)) + body)
PYEOF
}

# set_gen FILE PHYS GEN: a newer valid generation record (slot 0, seq 2).
set_gen() {
	"$PY" - "$@" <<'PYEOF'
import struct, sys
def crc32c(data, crc=0x3B15A):
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc
path, phys, gen = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
body = struct.pack('<BBHQ', 2, 0, 0, gen)
with open(path, 'r+b') as f:
    f.seek(20480 + phys * 16777216 + 8192)
    f.write(struct.pack('<I', crc32c(body)) + body)
PYEOF
}

# no_data_crc FILE: a newer valid cache_info copy without DATA_CRC (slot 0,
# seq 2, flags 0x1182): the data CRCs in the keys mean nothing any more.
no_data_crc() {
	"$PY" - "$@" <<'PYEOF'
import struct, sys
def crc32c(data, crc=0x3B15A):
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc
body = struct.pack('<BBHIIII', 2, 0, 0, 0, 63, 0x1182, 0)
with open(sys.argv[1], 'r+b') as f:
    f.seek(8192)
    f.write(struct.pack('<I', crc32c(body)) + body)
PYEOF
}

# set_dirty_tail FILE SEG OFF: a newer valid dirty_tail copy (slot 1, seq 2).
set_dirty_tail() {
	"$PY" - "$@" <<'PYEOF'
import struct, sys
def crc32c(data, crc=0x3B15A):
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc
body = struct.pack('<BBHII', 2, 0, 0, int(sys.argv[2]), int(sys.argv[3]))
with open(sys.argv[1], 'r+b') as f:
    f.seek(16432)
    f.write(struct.pack('<I', crc32c(body)) + body)
PYEOF
}

# Ranges (OFF+LEN, 512-byte granules) where two files differ.
differ() {
	"$PY" - "$1" "$2" <<'PYEOF'
import sys
a = open(sys.argv[1], 'rb'); b = open(sys.argv[2], 'rb')
runs, start, off = [], None, 0
while True:
    x, y = a.read(1 << 20), b.read(1 << 20)
    if not x and not y:
        break
    if x == y:
        if start is not None:
            runs.append((start, off - start)); start = None
        off += len(x)
        continue
    for i in range(0, max(len(x), len(y)), 512):
        d = x[i:i + 512] != y[i:i + 512]
        if d and start is None:
            start = off + i
        elif not d and start is not None:
            runs.append((start, off + i - start)); start = None
    off += max(len(x), len(y))
if start is not None:
    runs.append((start, off - start))
print(' '.join('%d+%d' % r for r in runs) or 'none')
PYEOF
}

# fsck --json: exit status in $rc, codes in $codes, ranges of a code.
fsck_json() {
	rc=0
	"$F" --json "$@" >"$WORK/f.json" 2>"$WORK/f.err" || rc=$?
	codes=$(jq -r '.findings[].code' "$WORK/f.json" | sort -u | tr '\n' ' ')
}
ranges_of() {
	jq -r --arg c "$1" '[.findings[] | select(.code == $c) | .ranges[] |
		"\(.offset)+\(.length)"] | join(" ")' "$WORK/f.json"
}

# The dirty ranges the kernel drops when the first kset is damaged: all of
# them, the damaged kset's own 1 MiB at 0 included (its key is proven by
# its data CRC); without data CRCs that key is left out.
AFTER_FIRST="8388608+2097152 104861696+1048576 209715200+3670016 67108864+528384 65536+131072 105902080+16384"
ALL="0+1048576 $AFTER_FIRST"

# ---- fsck ------------------------------------------------------------------

check_truncated() {
	local before
	before="$(sum "$C") $(sum "$B")"
	fsck_json --backing "$B" "$C"
	[ "$rc" -eq 4 ] || { echo "exit $rc"; cat "$WORK/f.json"; return 1; }
	[[ " $codes" == *" PC-LOG-TRUNCATED "* ]] || { echo "codes: $codes"; return 1; }
	[ "$(jq -r '.findings[] | select(.code == "PC-LOG-TRUNCATED") |
		.severity' "$WORK/f.json")" = loss ]
	[ "$(ranges_of PC-LOG-TRUNCATED)" = "$1" ] ||
		{ echo "ranges: $(ranges_of PC-LOG-TRUNCATED)"; return 1; }
	# -y repairs nothing: zeroing the header would hide the ksets
	fsck_json -y --backing "$B" "$C"
	[ "$rc" -eq 4 ]
	[ "$(sum "$C") $(sum "$B")" = "$before" ]
}

@test "fsck: one flipped CRC byte of the first kset is a truncation (loss, exit 4)" {
	crc_flip 0
	check_truncated "$ALL"
}

@test "fsck: random bytes over the first kset's header are a truncation" {
	garbage 0
	check_truncated "$ALL"
}

@test "fsck: key_num above 128 in the first kset is a truncation" {
	key_num 0 c8000000
	check_truncated "$ALL"
}

@test "fsck: a smaller wrong key_num (5 for 8) in the second kset is a truncation" {
	key_num 64 05000000
	check_truncated "$AFTER_FIRST"
	# what the kernel still sees: the first kset's 1 MiB
	[[ " $codes" == *" PC-DIRTY-DATA "* ]]
}

@test "fsck: without data CRCs the damaged kset's own keys are not vouched for" {
	no_data_crc "$C"
	crc_flip 0
	check_truncated "$AFTER_FIRST"
}

@test "fsck: a torn final write (last kset's CRC) stays PC-LOG-TORN, harmless" {
	crc_flip 24656
	fsck_json --backing "$B" "$C"
	[ "$rc" -eq 0 ]
	[[ " $codes" == *" PC-LOG-TORN "* ]]
	[[ " $codes" != *" PC-LOG-TRUNCATED "* ]]
	fsck_json -p --backing "$B" "$C"
	[ "$rc" -eq 1 ]
	[ "$(bytes_at "$C" "$(doff 0 24656)" 24)" = "$(printf '0%.0s' $(seq 48))" ]
}

@test "fsck: garbage over the zero terminator at key_head is no truncation" {
	garbage 24720
	fsck_json --backing "$B" "$C"
	[ "$rc" -eq 0 ]
	[[ " $codes" != *" PC-LOG-TRUNCATED "* ]]
}

# ---- older laps: the rule of docs/salvage.md, both ways ---------------------

@test "stale: ksets past the end whose keys' seg_gen is below their segment's gen are an older lap" {
	crc_flip 0
	set_gen "$C" 1 1
	set_gen "$C" 2 1
	fsck_json --backing "$B" "$C"
	[ "$rc" -eq 0 ] || { cat "$WORK/f.json"; return 1; }
	[[ " $codes" == *" PC-LOG-TORN "* ]]
	[[ " $codes" != *" PC-LOG-TRUNCATED "* ]]
	jq -r '.findings[].message' "$WORK/f.json" | grep -q 'older lap'
	run "$W" "$C" "$B"
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing to write"* ]]
}

# A torn kset at key_head (a copy of the first kset, a byte of its key's
# data CRC flipped: no longer provable), then a valid kset (a copy of
# 0:23248) and a LAST kset linking to NEXT.
lap_image() {
	copy "$C" "$(doff 0 0)" "$(doff 0 24720)" 64
	put "$C" $(($(doff 0 24720) + 24 + 32)) ff
	copy "$C" "$(doff 0 23248)" "$(doff 0 24784)" 104
	last_kset "$C" "$(doff 0 24888)" "$1"
}

@test "stale: a run whose LAST kset links into a segment the log uses is an older lap" {
	lap_image 0
	fsck_json --backing "$B" "$C"
	[ "$rc" -eq 0 ] || { cat "$WORK/f.json"; return 1; }
	[[ " $codes" == *" PC-LOG-TORN "* ]]
	jq -r '.findings[].message' "$WORK/f.json" | grep -q 'segment the log already uses'
	run "$D" --json --log "$C"
	[ "$(echo "$output" | jq -r '.log.past_end.verdict')" = stale ]
	[ "$(echo "$output" | jq -r '.log.past_end.runs[0].stale')" = true ]
}

@test "truncated: a run whose LAST kset links into a free segment is followed there" {
	lap_image 5
	copy "$C" "$(doff 0 24656)" "$(doff 5 0)" 64
	fsck_json --backing "$B" "$C"
	[ "$rc" -eq 4 ] || { cat "$WORK/f.json"; return 1; }
	[ "$(ranges_of PC-LOG-TRUNCATED)" = "67629056+8192 105902080+16384" ]
	run "$D" --log "$C"
	[[ "$output" == *"LAST -> cache segment 5  crc"*"PAST END"* ]]
	[[ "$output" == *"kset 5:0 "*"PAST END"* ]]
	# salvage: the copies repeat data the log holds, so the result is the
	# kernel's own writeback, and the tails end in segment 5
	run "$W" --salvage "$C" "$B"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	cmp "$B" "$CLEAN_B"
	run "$D" --json -s "$C"
	[ "$(echo "$output" | jq -c '.summary.key_tail')" = '{"seg":5,"off":64}' ]
	[ "$(echo "$output" | jq -c '.summary.dirty_tail')" = '{"seg":5,"off":64}' ]
}

@test "writeback --from: a run the rule calls an older lap can be vouched for" {
	lap_image 0
	run "$W" --salvage --dry-run "$C" "$B"
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing valid past the end"* ]]
	run "$W" --from 0:24784 "$C" "$B"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"salvaged 2 ksets past the damaged kset at 0:24720"* ]]
	cmp "$B" "$CLEAN_B"
	run "$D" --json -s "$C"
	[ "$(echo "$output" | jq -c '.summary.key_tail')" = '{"seg":0,"off":24888}' ]
}

@test "writeback --from: bad positions are refused, nothing written" {
	crc_flip 0
	local before
	before="$(sum "$C") $(sum "$B")"
	run "$W" --from x "$C" "$B"
	[ "$status" -eq 16 ]
	run "$W" --from 0:100 "$C" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"0:100 out of range"* ]]
	run "$W" --from 0:72 "$C" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no valid kset at 0:72"* ]]
	run "$W" --from 1:0 "$C" "$B"
	[ "$status" -eq 1 ]
	[ "$(sum "$C") $(sum "$B")" = "$before" ]
	# a position on the log the kernel replays is not "past the end"
	cp --sparse=always "$(fixture kcrc-crash.pmem)" "$C"
	run "$W" --from 0:64 "$C" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not past the end of the log"* ]]
}

# ---- dump ------------------------------------------------------------------

@test "dump: the ksets past the kernel's end of log are listed and marked" {
	crc_flip 0
	run "$D" --log "$C"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c 'PAST END')" -eq 9 ]
	[[ "$output" == *"gap  0:0 "*"kset crc mismatch; valid ksets resume at 0:64"* ]]
	run "$D" --json "$C"
	[ "$(echo "$output" | jq -r '.log.past_end.verdict')" = truncated ]
	[ "$(echo "$output" | jq -c '.log.past_end.runs[0].from')" = '{"seg":0,"off":64}' ]
	[ "$(echo "$output" | jq -c '.log.past_end.runs[0].end')" = '{"seg":0,"off":24720}' ]
	[ "$(echo "$output" | jq '[.log.past_end.runs[0].ksets[] | select(.past_end)] | length')" -eq 9 ]
	[ "$(echo "$output" | jq '.summary.past_end.dirty_keys')" -eq 483 ]
	[ "$(echo "$output" | jq '[.log.ksets[] | select(.past_end)] | length')" -eq 0 ]
	# a healthy log: nothing past its end
	run "$D" --json "$(fixture kcrc-crash.pmem)"
	[ "$(echo "$output" | jq -r '.log.past_end.verdict')" = none ]
}

# ---- writeback ---------------------------------------------------------------

check_refused() {
	local before
	before="$(sum "$C") $(sum "$B")"
	run "$W" "$C" "$B"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"valid ksets past it"*"--salvage"* ]]
	[[ "$output" != *"clean"*"nothing to write"* ]]
	rc=0
	"$W" --json "$C" "$B" >"$WORK/w.json" 2>/dev/null || rc=$?
	[ "$rc" -eq 1 ]
	[ "$(jq -r .result "$WORK/w.json")" = refused ]
	[ "$(jq -r .past_end.verdict "$WORK/w.json")" = truncated ]
	[ "$(sum "$C") $(sum "$B")" = "$before" ]
}

# salvage_to EXPECTED: --salvage, then the backing differs from the
# kernel's own writeback exactly in EXPECTED; the cache is clean and empty.
salvage_to() {
	run "$W" --salvage "$C" "$B"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"the cache is clean"* ]]
	[ "$(differ "$B" "$CLEAN_B")" = "$1" ] ||
		{ echo "differ: $(differ "$B" "$CLEAN_B")"; return 1; }
	fsck_json --backing "$B" "$C"
	[ "$rc" -eq 0 ] || { cat "$WORK/f.json"; return 1; }
	run "$W" "$C" "$B"
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing to write"* ]]
	run "$D" --json "$C"
	[ "$(echo "$output" | jq -r '.summary.keys')" -eq 0 ]
	[ "$(echo "$output" | jq -r '.log.past_end.verdict')" = none ]
}

@test "writeback: CRC flip of the first kset: refused; --salvage gives kcrc-clean exactly" {
	crc_flip 0
	check_refused
	salvage_to none
}

@test "writeback: random header over the first kset: refused; --salvage gives kcrc-clean" {
	garbage 0
	check_refused
	salvage_to none
}

@test "writeback: key_num 200 in the first kset: refused; --salvage gives kcrc-clean" {
	key_num 0 c8000000
	check_refused
	salvage_to none
}

@test "writeback: wrong key_num in the second kset: refused; --salvage gives kcrc-clean" {
	key_num 64 05000000
	check_refused
	salvage_to none
}

@test "writeback: without data CRCs --salvage loses the damaged kset's data not rewritten later" {
	no_data_crc "$C"
	crc_flip 0
	check_refused
	# W1's 1 MiB at 0 was in the damaged kset; W6 rewrote 64 KiB..192 KiB
	salvage_to "0+65536 196608+851968"
}

@test "writeback: damage to a kset whose keys were all overwritten later: --salvage gives kcrc-clean exactly" {
	# 0:12960 holds 128 CLEAN read-miss keys, all rewritten by W5
	crc_flip 12960
	check_refused
	salvage_to none
	cmp "$B" "$CLEAN_B"
}

@test "writeback: --salvage with key_tail behind dirty_tail moves key_tail first, ends clean" {
	# the first kset counts as written back (it is not on this backing
	# device: its range is what differs afterwards); the third is damaged
	set_dirty_tail "$C" 0 64
	crc_flip 408
	check_refused
	salvage_to "0+65536 196608+851968"
	run "$D" --json -s "$C"
	[ "$(echo "$output" | jq -c '.summary.key_tail')" = '{"seg":0,"off":24720}' ]
	[ "$(echo "$output" | jq -c '.summary.dirty_tail')" = '{"seg":0,"off":24720}' ]
	[ "$(bytes_at "$C" "$(doff 0 64)" 24)" = "$(printf '0%.0s' $(seq 48))" ]
}

@test "writeback: --salvage --dry-run writes nothing and says what it would do" {
	crc_flip 0
	local before
	before="$(sum "$C") $(sum "$B")"
	run "$W" --salvage --dry-run "$C" "$B"
	[ "$status" -eq 0 ]
	[[ "$output" == *"would salvage 9 ksets"* ]]
	[ "$(sum "$C") $(sum "$B")" = "$before" ]
}

# ---- format ------------------------------------------------------------------

@test "format: dirty ksets past the end count as dirty (--force is not enough)" {
	garbage 0
	local before
	before=$(sum "$C")
	run "$FMT" -f "$C"
	[ "$status" -eq 1 ]
	[[ "$output" == *"valid ksets past it hold 483 dirty keys"*"--discard-dirty"* ]]
	[ "$(sum "$C")" = "$before" ]
	run "$FMT" -f --discard-dirty "$C"
	[ "$status" -eq 0 ]
}
