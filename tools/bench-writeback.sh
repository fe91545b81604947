#!/bin/bash
# Benchmark (not a test): offline writeback side by side with the raw cost
# of the same bytes on the same backing file, in one run:
#   - pcache-writeback (verify data CRCs, copy, fsync, tail);
#   - fio writing exactly the extents the writeback writes (replayed from
#     its --dry-run --json plan, one write per extent), then fsync;
#   - dd writing as many bytes sequentially in 4 MiB blocks, then fsync
#     (the file's sequential write bandwidth).
#
#   tools/bench-writeback.sh [BUILD]        (default BUILD=build)
#
# Environment: SIZE (cache image, default 2G), BACKING (logical range and
# backing file size, default 1G), BS (write size, default 4096), FILL
# (percent of the data space, default 80), DATA (bytes to write instead of
# FILL, e.g. 40M with BS=4096 for 10k keys), DATA_CRC (1 = data CRCs, default
# 1), RUNS (best of, default 3), CACHE_DIR (the cache image; default
# /dev/shm, standing in for pmem), BACKING_DIR (the backing file; default
# /var/tmp, a disk; /dev/shm measures CPU cost), OLD (a second
# pcache-writeback binary measured the same way, optional).
# Each writer gets a fresh sparse backing file; `sync` runs before each.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SIZE=${SIZE:-2G}
BACKING=${BACKING:-1G}
BS=${BS:-4096}
FILL=${FILL:-80}
DATA=${DATA:-}
DATA_CRC=${DATA_CRC:-1}
RUNS=${RUNS:-3}
OLD=${OLD:-}

make -s "$BUILD/pcache-writeback" "$BUILD/pcache-dump" \
	"$BUILD/testtools/pcache-genlog"
command -v fio >/dev/null && command -v jq >/dev/null ||
	tools/install-deps.sh bench
[ -x /usr/bin/time ] || { echo "bench-writeback: needs /usr/bin/time" >&2; exit 1; }

cdir=$(mktemp -d "${CACHE_DIR:-/dev/shm}/pcache-wb.XXXXXX")
bdir=$(mktemp -d "${BACKING_DIR:-/var/tmp}/pcache-wb.XXXXXX")
trap 'rm -rf "$cdir" "$bdir"' EXIT
img=$cdir/cache.img
bk=$bdir/backing.img

crc=
[ "$DATA_CRC" = 1 ] && crc=--data-crc
amount=(--fill "$FILL")
[ -n "$DATA" ] && amount=(--size "$DATA")
echo "# cache $SIZE in ${CACHE_DIR:-/dev/shm}, backing $BACKING in" \
	"${BACKING_DIR:-/var/tmp}; writes of $BS bytes, ${DATA:-fill $FILL%}," \
	"data_crc $DATA_CRC; best of $RUNS"
"$BUILD/testtools/pcache-genlog" --image-size "$SIZE" \
	--backing-size "$BACKING" --bs "$BS" "${amount[@]}" $crc "$img" \
	> /dev/null

# The plan: the extents the writeback writes, as a fio iolog.
truncate -s "$BACKING" "$bk"
"$BUILD/pcache-writeback" --dry-run --json "$img" "$bk" > "$cdir/plan.json"
jq -r --arg f "$bk" '"fio version 2 iolog", "\($f) add", "\($f) open",
	(.extents[] | select(.action == "would_write") |
	 "\($f) write \(.off) \(.len)"), "\($f) close"' "$cdir/plan.json" \
	> "$cdir/iolog"
n=$(jq '[.extents[] | select(.action == "would_write")] | length' \
	"$cdir/plan.json")
bytes=$(jq .totals.bytes_to_write "$cdir/plan.json")
runs=$(jq -r '[.extents[] | select(.action == "would_write")] |
	reduce .[] as $e ({end: -1, n: 0};
	  if $e.off == .end then .end = $e.off + $e.len
	  else {end: ($e.off + $e.len), n: (.n + 1)} end) | .n' \
	"$cdir/plan.json")
keys=$("$BUILD/pcache-dump" --json --superblock "$img" | jq .summary.keys)
echo "plan: $keys keys in the log; $n extents, $bytes bytes, $runs runs" \
	"adjacent on the backing device"

# One timed run of "$@" on a fresh backing file: "WALL CPU" seconds.
# The writeback changes the cache: it runs on a fresh copy (untimed).
timed() {
	rm -f "$bk"
	truncate -s "$BACKING" "$bk"
	case $1 in
	*pcache-writeback*) cp --sparse=always "$img" "$cdir/run.img" ;;
	esac
	sync
	/usr/bin/time -o "$cdir/time" -f '%e %U %S' "$@" > /dev/null 2>&1
	awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$cdir/time"
}
# Best wall time of RUNS runs, with that run's CPU time.
best() {
	local i
	for ((i = 0; i < RUNS; i++)); do
		timed "$@"
	done | sort -g | head -1
}
mib() { awk -v b="$bytes" -v t="$1" 'BEGIN {
	if (t > 0) printf "%.0f", b / 1048576 / t; else print "-" }'; }
row() {
	printf '| %s | %s s | %s s | %s MiB/s | %s MiB/s |\n' "$1" "$2" "$3" \
		"$(mib "$2")" "$(mib "$3")"
}

echo
echo "| writer (same $bytes bytes) | wall | CPU | rate (wall) | rate (CPU) |"
echo "|---|---|---|---|---|"
read -r fw fc < <(best fio --name=extents --read_iolog="$cdir/iolog" \
	--ioengine=psync --replay_no_stall=1 --end_fsync=1 \
	--output-format=terse)
row "fio, the plan's extents (psync, end_fsync)" "$fw" "$fc"
read -r dw dc < <(best dd if=/dev/zero of="$bk" bs=4M conv=fsync,notrunc \
	count="$bytes" iflag=count_bytes)
row "dd, as many bytes sequentially (4 MiB, fsync)" "$dw" "$dc"
if [ -n "$OLD" ]; then
	read -r ow oc < <(best "$OLD" -q "$cdir/run.img" "$bk")
	row "pcache-writeback ($OLD)" "$ow" "$oc"
fi
read -r ww wc < <(best "$BUILD/pcache-writeback" -q "$cdir/run.img" "$bk")
row "pcache-writeback (verify, copy, fsync, tail)" "$ww" "$wc"
echo
awk -v w="$ww" -v f="$fw" -v d="$dw" 'BEGIN {
	printf "pcache-writeback: %.0f%% of fio'\''s bandwidth for the same " \
	       "extents, %.0f%% of dd'\''s sequential bandwidth\n",
	       100 * f / w, 100 * d / w }'
