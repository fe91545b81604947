#!/bin/sh
# tools/bench-fsck.sh [BUILD_DIR] [SIZE] - how long a full pcache-fsck of a
# large sparse cache image takes (default 16 TiB less 4 KiB, the largest
# file ext4 allows: 1,048,575 segments).
#
# Creates SIZE as a sparse file (truncate), formats it with pcache-format
# (every segment's metadata written, as the kernel does), writes a small
# log with the test generator when it is built, then times
# `pcache-fsck -n` (metadata: superblock, both slots of every record,
# the whole chain, the log) and prints the result. Needs about 13 GiB of
# real disk space for the 16 TiB image's metadata pages. Not a test.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
size=${2:-17592186040320}
dir=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/bench-fsck.XXXXXX")}
img=$dir/cache.img
trap 'rm -rf "$dir"' EXIT

[ -x "$build/pcache-fsck" ] || make --no-print-directory "$build/pcache-fsck"
[ -x "$build/pcache-format" ] || make --no-print-directory "$build/pcache-format"
truncate -s "$size" "$img"
t0=$(date +%s.%N)
"$build/pcache-format" -q "$img"
t1=$(date +%s.%N)
echo "format: $(echo "$t1 - $t0" | bc) s for $size ($(du -h "$img" | cut -f1) allocated)"
# The first run may read the metadata pages from disk (image file), the
# second finds them in the page cache, closer to what a pmem device gives.
for mode in -n -n; do
	t0=$(date +%s.%N)
	rc=0
	"$build/pcache-fsck" $mode --json "$img" > "$dir/report.json" || rc=$?
	t1=$(date +%s.%N)
	segs=$(sed -n 's/.*"seg_num": \([0-9]*\).*/\1/p' "$dir/report.json")
	echo "pcache-fsck $mode: $(echo "$t1 - $t0" | bc) s, exit $rc, $segs segments (run $((${n:-0} + 1)))"
	n=$((${n:-0} + 1))
done
