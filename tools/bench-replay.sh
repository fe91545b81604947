#!/bin/bash
# Benchmark (not a test): replay rate and offline writeback throughput of
# pcache-dump and pcache-writeback on a large generated log.
#
#   tools/bench-replay.sh [BUILD]        (default BUILD=build)
#
# Environment: SIZE (cache image, default 2G), BACKING (logical range and
# backing file size, default 1G), BS (write size, default 4096), FILL
# (percent of the data space, default 80), DATA_CRC (1 = format with data
# CRCs, default 1), RUNS (best of, default 3), DIR (scratch directory,
# default $TMPDIR or /tmp). Images are sparse files; the numbers are for
# files in the page cache, not for pmem or a disk.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SIZE=${SIZE:-2G}
BACKING=${BACKING:-1G}
BS=${BS:-4096}
FILL=${FILL:-80}
DATA_CRC=${DATA_CRC:-1}
RUNS=${RUNS:-3}

make -s "$BUILD/pcache-dump" "$BUILD/pcache-writeback" \
	"$BUILD/testtools/pcache-genlog"
command -v jq >/dev/null || tools/install-deps.sh dump
[ -x /usr/bin/time ] || { echo "bench-replay: needs /usr/bin/time" >&2; exit 1; }

dir=$(mktemp -d "${DIR:-${TMPDIR:-/tmp}}/pcache-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
img=$dir/cache.img
bk=$dir/backing.img

now() { date +%s.%N; }
# best (smallest) wall time of RUNS runs of a command: "WALL CPU" seconds,
# CPU = user + system of that run (the wall time of a loaded machine
# overstates the cost; the CPU time does not include I/O waits)
best() {
	local b= c= w u s i
	for ((i = 0; i < RUNS; i++)); do
		/usr/bin/time -o "$dir/time" -f '%e %U %S' "$@" \
			> /dev/null 2>&1
		read -r w u s < "$dir/time"
		if [ -z "$b" ] || [ "$(echo "$w < $b" | bc -l)" = 1 ]; then
			b=$w
			c=$(echo "$u + $s" | bc -l)
		fi
	done
	echo "$b $c"
}
rate() {
	if [ "$(echo "$2 > 0" | bc -l)" = 1 ]; then
		echo "scale=0; ($1) / $2" | bc -l
	else
		echo "-"
	fi
}

crc=
[ "$DATA_CRC" = 1 ] && crc=--data-crc
echo "# generating: image $SIZE, backing $BACKING, writes of $BS bytes," \
	"fill $FILL%, data_crc $DATA_CRC"
t0=$(now)
"$BUILD/testtools/pcache-genlog" --image-size "$SIZE" \
	--backing-size "$BACKING" --bs "$BS" --fill "$FILL" $crc "$img"
echo "# generated in $(echo "$(now) - $t0" | bc -l | cut -c1-6) s"

sum=$("$BUILD/pcache-dump" --json --superblock "$img")
keys=$(jq .summary.keys <<< "$sum")
ksets=$(jq .summary.ksets <<< "$sum")
lasts=$(jq .summary.last_ksets <<< "$sum")
exts=$(jq .summary.extents <<< "$sum")
dirty=$(jq .summary.dirty_bytes <<< "$sum")
echo "log: $keys keys in $ksets ksets ($lasts LAST), $exts live extents," \
	"$dirty dirty bytes"

read -r t c < <(best "$BUILD/pcache-dump" --replay --no-verify --limit 1 "$img")
echo "replay (walk, decode, gens, newest-wins resolve): $t s wall," \
	"$(rate "$keys" "$t") keys/s; $c s cpu, $(rate "$keys" "$c") keys/s"
if [ "$DATA_CRC" = 1 ]; then
	read -r t c < <(best "$BUILD/pcache-dump" --replay --limit 1 "$img")
	echo "replay + data CRC of every live key: $t s wall," \
		"$(rate "$keys" "$t") keys/s; $c s cpu, $(rate "$keys" "$c") keys/s"
fi

wb=()
for ((i = 0; i < RUNS; i++)); do
	cp --sparse=always "$img" "$dir/run.img"
	rm -f "$bk"
	truncate -s "$BACKING" "$bk"
	sync
	/usr/bin/time -o "$dir/time" -f '%e %U %S' "$BUILD/pcache-writeback" \
		-q "$dir/run.img" "$bk" > /dev/null 2>&1
	wb+=("$(cat "$dir/time")")
done
read -r t u s < <(printf '%s\n' "${wb[@]}" | sort -g | head -1)
c=$(echo "$u + $s" | bc -l)
echo "writeback (verify, copy, fsync, tail): $t s wall," \
	"$(rate "$dirty / 1048576" "$t") MiB/s; $c s cpu," \
	"$(rate "$dirty / 1048576" "$c") MiB/s"
