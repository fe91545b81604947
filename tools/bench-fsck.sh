#!/bin/sh
# tools/bench-fsck.sh [BUILD_DIR] [SIZE...] - pcache-fsck's metadata check
# side by side with the raw cost of reading the same bytes (figures in
# docs/offline-speed.md, section Fsck). Not a test.
#
# For each SIZE (default 16 TiB less 4 KiB, the largest file ext4 allows:
# 1,048,575 segments): a sparse file is created and formatted with
# pcache-format (every segment's metadata written, as the kernel does),
# then timed, uncached (page cache dropped before each run) and cached:
#   fsck      pcache-fsck -n --json (superblock, both slots of every
#             record, the whole chain, the log)
#   raw qdN   tools/bench-rawread.c: the 8224 metadata bytes of every
#             segment (what the chain check reads; the rest is a few
#             records) with pread from N threads, N the checker's depth
#   raw qd1   the same one read at a time (cached; uncached with RAW_QD1=1)
#   before    BEFORE/pcache-fsck, another build to compare (with BEFORE=)
# each the best of RUNS runs (default 3), and prints the ratio of fsck to
# the faster raw figure. Dropping the page cache needs root;
# without it only the cached figures are printed. A 16 TiB image needs
# about 13 GiB of real disk space, deleted at the end. BENCH_DIR: where.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- 17592186040320
dir=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bench-fsck.XXXXXX")
img=$dir/cache.img
trap 'rm -rf "$dir"' EXIT

make --no-print-directory -s "$build/pcache-fsck" "$build/pcache-format"
raw=$build/bench-rawread
${CC:-cc} -O2 -Wall -Wextra -pthread -o "$raw" tools/bench-rawread.c
# the checker's queue depth and the metadata bytes it reads per segment
depth=$(sed -n 's/^#define PC_PF_DEPTH \([0-9]*\)$/\1/p' lib/dev/prefetch.h)
meta_len=8224
segs_off=20480
seg_size=16777216
runs=${RUNS:-3}
can_drop=0
[ -w /proc/sys/vm/drop_caches ] && can_drop=1

now() { date +%s.%N; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# timed CMD...: "WALL CPU" seconds of one run of CMD (a whole process)
timed() {
	rc=0
	/usr/bin/time -f '%e %U %S' -o "$dir/time" "$@" > "$dir/out" || rc=$?
	[ "$rc" -eq 0 ] || echo "  ($1 exited $rc)" >&2
	awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$dir/time"
}

run_fsck() { timed "$1" -n --json "$img"; }
# rawread DEPTH: the same metadata bytes as the chain check reads
rawread() {
	timed "$raw" "$img" $segs_off $seg_size "$segs" $meta_len "$1"
}

# best MODE CMD...: the least wall and the least CPU seconds of RUNS runs
best() {
	m=$1
	shift
	for _ in $(seq "$runs"); do
		[ "$m" = uncached ] && drop
		"$@"
	done | sort -n | awk 'NR == 1 || $2 < c { c = $2 } NR == 1 { w = $1 }
		END { print w, c }'
}

# "W s (cpu C s)" from "W C"
fmt() { echo "$1" | awk '{ printf "%s s (cpu %s s)", $1, $2 }'; }
# ratio A B: wall of A over wall of B
ratio() {
	awk -v a="${1%% *}" -v b="${2%% *}" \
		'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'
}

# The raw figure to beat is the faster of one read at a time and the
# checker's depth: threads only pay when the reads wait for the disk.
measure() {
	mode=$1
	f=$(best "$mode" run_fsck "$build/pcache-fsck")
	r=$(best "$mode" rawread "$depth")
	line="fsck $(fmt "$f"), raw qd$depth $(fmt "$r")"
	if [ "$mode" = cached ] || [ "${RAW_QD1:-0}" = 1 ]; then
		r1=$(best "$mode" rawread 1)
		line="$line, raw qd1 $(fmt "$r1")"
		r=$(echo "$r1 $r" | awk '{ print $1 < $3 ? $1 " " $2 : $3 " " $4 }')
	fi
	[ -z "${BEFORE:-}" ] ||
		line="$line, before $(fmt "$(best "$mode" run_fsck "$BEFORE/pcache-fsck")")"
	echo "  $mode: $line; fsck/raw $(ratio "$f" "$r")"
}

for size in "$@"; do
	rm -f "$img"
	truncate -s "$size" "$img"
	t0=$(now)
	"$build/pcache-format" -q "$img"
	t1=$(now)
	mem=$( { /usr/bin/time -f %M "$build/pcache-fsck" -n --json "$img" \
		 > "$dir/report.json"; } 2>&1 | tail -1)
	segs=$(sed -n 's/.*"seg_num": \([0-9]*\).*/\1/p' "$dir/report.json")
	echo "size $size: $segs segments, $(du -h "$img" | cut -f1) allocated," \
	     "format $(echo "$t1 - $t0" | bc) s, fsck max RSS $mem KiB"
	[ "$can_drop" = 1 ] && measure uncached
	measure cached
done
