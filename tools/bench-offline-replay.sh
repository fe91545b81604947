#!/bin/bash
# Benchmark (not a test): pcache-dump's replay and --extract side by side
# with the raw cost of the same bytes on the same files
# (docs/offline-speed.md, sections Replay and Extract).
#
#   tools/bench-offline-replay.sh [BUILD]        (default BUILD=build)
#
# For each LAYOUT (random: 4 KiB writes at random offsets, a fragmented
# cache; sequential: the same writes in order, a fresh one) it generates a
# cache image with data CRCs and a zeroed backing file, then times:
#   replay      pcache-dump --replay --no-verify, less the same tool's open
#               (pcache-dump --log --limit 1); raw: dd of the log's bytes
#   + data CRC  pcache-dump --replay; raw: dd of the cached bytes, and
#               pcache-rawread -c BS reading and checksumming as many
#   --extract   of the whole backing range, --no-verify and verified; raw:
#               dd of the cached bytes from the image plus the uncached ones
#               from the backing file, pcache-rawread of exactly the
#               reads the tool makes, in its order, and the floor: the same
#               pieces copied out of a mapping whose page tables are filled
#               (pcache-rawread -m: no system call or fault per piece)
# Figures are CPU seconds (user + system, best of RUNS), then wall seconds.
#
# Environment: SIZE (image, default 2G), BACKING (logical range, default
# 1G), BS (write size, default 4096), FILL (percent, default 80), DATA
# (bytes to write instead of FILL), EXTRACT (0 skips --extract), LAYOUTS
# (default "random sequential"), RUNS (default 3), DIR (scratch directory,
# default /dev/shm when it exists: images in memory separate CPU from disk),
# DUMP (the pcache-dump to measure, default BUILD's; e.g. an older build).
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SIZE=${SIZE:-2G}
BACKING=${BACKING:-1G}
BS=${BS:-4096}
FILL=${FILL:-80}
DATA=${DATA:-}
EXTRACT=${EXTRACT:-1}
LAYOUTS=${LAYOUTS:-random sequential}
RUNS=${RUNS:-3}
D=${DUMP:-$BUILD/pcache-dump}

make -s "$BUILD/pcache-dump" \
	"$BUILD/testtools/pcache-genlog" "$BUILD/testtools/pcache-rawread"
command -v jq >/dev/null || tools/install-deps.sh dump
scratch=${DIR:-}
[ -n "$scratch" ] || { [ -d /dev/shm ] && scratch=/dev/shm; } ||
	scratch=${TMPDIR:-/tmp}
dir=$(mktemp -d "$scratch/pcache-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
img=$dir/cache.img
bk=$dir/backing.img

# best CPU time of RUNS runs of a command: "CPU WALL" seconds (that run's)
best() {
	local b='' w='' c r u s i TIMEFORMAT='%3R %3U %3S'
	for ((i = 0; i < RUNS; i++)); do
		{ time "$@" > /dev/null 2>&1; } 2> "$dir/time"
		read -r r u s < "$dir/time"
		c=$(echo "$u + $s" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$c < $b" | bc -l)" = 1 ]; then
			b=$c
			w=$r
		fi
	done
	echo "$b $w"
}
# best CPU of pcache-rawread [-c SIZE] LIST FILE...: "CPU WALL READS CRC"
best_raw() {
	local b='' w='' n c r i impl
	for ((i = 0; i < RUNS; i++)); do
		read -r _ n c r impl < <("$BUILD/testtools/pcache-rawread" "$@")
		if [ -z "$b" ] || [ "$(echo "$c < $b" | bc -l)" = 1 ]; then
			b=$c
			w=$r
		fi
	done
	echo "$b $w $n $impl"
}
sub() { printf '%.3f' "$(echo "x = $1 - $2; if (x < 0) x = 0; x" | bc -l)"; }
rate() {
	if [ "$(echo "$2 > 0" | bc -l)" = 1 ]; then
		echo "scale=0; ($1) / $2" | bc -l
	else
		echo "-"
	fi
}
ratio() {
	if [ "$(echo "$2 > 0" | bc -l)" = 1 ]; then
		printf '%.1fx' "$(echo "$1 / $2" | bc -l)"
	else
		echo "-"
	fi
}
dd_bytes() { dd if="$1" of=/dev/null bs=1M iflag=count_bytes count="$2" status=none; }
# label, CPU, wall (seconds, printed to the ms when given), note
line() {
	local c=$2 w=$3
	[ -z "$c" ] || c=$(printf '%.3f' "$c")
	[ -z "$w" ] || w=$(printf '%.3f' "$w")
	printf '  %-44s %8s %8s  %s\n' "$1" "$c" "$w" "$4"
}

bench() {
	local layout=$1 seq='' sum keys ksets exts cached log_bytes gap amount
	local open rep crc x xv raw_log raw_c raw_b raw_seq scat
	[ "$layout" = sequential ] && seq=--sequential
	amount=(--fill "$FILL")
	[ -z "$DATA" ] || amount=(--size "$DATA")
	rm -f "$img" "$bk"
	"$BUILD/testtools/pcache-genlog" --image-size "$SIZE" \
		--backing-size "$BACKING" --bs "$BS" "${amount[@]}" --data-crc \
		$seq "$img" > /dev/null
	truncate -s "$BACKING" "$bk"
	sum=$("$D" --json --superblock "$img")
	keys=$(jq .summary.keys <<< "$sum")
	ksets=$(jq .summary.ksets <<< "$sum")
	exts=$(jq .summary.extents <<< "$sum")
	cached=$(jq .summary.cached_bytes <<< "$sum")
	log_bytes=$(((ksets + $(jq .summary.last_ksets <<< "$sum")) * 24 + keys * 40))
	gap=$(($(numfmt --from=iec "$BACKING") - cached))
	echo
	echo "## $layout: image $SIZE, backing $BACKING, $BS-byte writes," \
		"${DATA:-fill $FILL%}: $keys keys in $ksets ksets ($log_bytes log bytes)," \
		"$exts extents, $cached cached bytes"
	printf '  %-44s %8s %8s\n' "" "CPU s" "wall s"

	read -r open _ < <(best "$D" --log --limit 1 "$img")
	read -r rep w < <(best "$D" --replay --no-verify --limit 1 "$img")
	read -r raw_log _ < <(best dd_bytes "$img" "$log_bytes")
	line "open (pcache-dump --log --limit 1)" "$open" "" ""
	line "replay (--replay --no-verify)" "$rep" "$w" \
		"$(rate "$keys" "$(sub "$rep" "$open")") keys/s beyond open, $(rate "$keys" "$rep") with it"
	line "  raw: dd of the log's bytes" "$raw_log" "" ""
	read -r crc w < <(best "$D" --replay --limit 1 "$img")
	read -r raw_c _ < <(best dd_bytes "$img" "$cached")
	echo "0 0 $cached" > "$dir/cached"
	read -r raw_crc ws n impl < <(best_raw -c "$BS" "$dir/cached" "$img")
	line "replay + data CRC (--replay)" "$crc" "$w" \
		"CRC pass $(sub "$crc" "$rep") s: $(ratio "$(sub "$crc" "$rep")" "$raw_crc") raw read + CRC"
	line "  raw: dd of the cached bytes" "$raw_c" "" ""
	line "  raw: read + CRC32C ($impl) of them" "$raw_crc" "$ws" \
		"pcache-rawread -c $BS, $n reads"
	[ "$EXTRACT" = 1 ] || return 0

	read -r x w < <(best "$D" --no-verify --backing "$bk" --extract 0 "$BACKING" "$img")
	read -r xv wv < <(best "$D" --backing "$bk" --extract 0 "$BACKING" "$img")
	read -r raw_b _ < <(best dd_bytes "$bk" "$gap")
	raw_seq=$(echo "$raw_c + $raw_b" | bc -l)
	# exactly the reads the tool makes: uncached runs from the backing
	# file, cached ones from the image, back-to-back ones joined
	"$D" --json --replay --no-verify "$img" |
		jq -r '.replay.extents[] | "\(.off) \(.len) \(.dev_off)"' |
		awk -v end="$(numfmt --from=iec "$BACKING")" '
		function out() { if (n) printf "%d %.0f %.0f\n", pf, po, pl }
		function put(f, o, l) {
			if (n && f == pf && o == po + pl) { pl += l; return }
			out()
			pf = f; po = o; pl = l; n = 1
		}
		{ if ($1 > pos) put(1, pos, $1 - pos); put(0, $3, $2); pos = $1 + $2 }
		END { if (pos < end) put(1, pos, end - pos); out() }' \
		> "$dir/reads"
	read -r scat ws n _ < <(best_raw "$dir/reads" "$img" "$bk")
	read -r floor wf _ < <(best_raw -m "$dir/reads" "$img" "$bk")
	line "extract whole range (--no-verify)" "$x" "$w" \
		"$(ratio "$x" "$raw_seq") dd, $(ratio "$x" "$scat") the same reads, $(ratio "$x" "$floor") the floor"
	line "extract whole range (verified)" "$xv" "$wv" ""
	line "  raw: dd of cached + uncached bytes" "$raw_seq" "" ""
	line "  raw: the same $n reads (pcache-rawread)" "$scat" "$ws" ""
	line "  floor: the same pieces copied from a mapping (pcache-rawread -m)" \
		"$floor" "$wf" ""
	read -r x w < <(best "$D" --no-verify --backing "$bk" --extract 0 64M "$img")
	line "extract of 64 MiB (--no-verify)" "$x" "$w" \
		"$(sub "$x" "$rep") s beyond the replay"
}

echo "# $($D -V | head -1); images in $scratch"
for l in $LAYOUTS; do
	bench "$l"
done
