#!/bin/bash
# Benchmark (not a test): the full pcache-format of sparse images side by
# side with the raw cost of the same bytes on the same kind of file, in one
# run per size:
#   - pcache-format (full: every segment initialised; flush, superblock,
#     flush);
#   - fio writing exactly the pages the format writes over a hole (the
#     superblock page, the cache_info/control pages, and per segment its
#     three record pages), then fsync;
#   - dd writing as many bytes sequentially in 4 MiB blocks, then fsync:
#     the floor (the bytes that must be written, at the file's bandwidth).
# The allocated bytes of the formatted image and of fio's file are printed
# too: equal, or fio did not write the same pages.
#
#   tools/bench-format.sh [BUILD]        (default BUILD=build)
#
# Environment: SIZES (image sizes, default "1T"; "16383G" needs about 13
# GiB of real space in DIR for the metadata; ext4 refuses files of 16 TiB,
# tmpfs takes "16T" but keeps the 12 GiB in memory), DIR (scratch directory, default
# /var/tmp, a disk; /dev/shm measures CPU cost), OLD (a second pcache-format
# binary measured the same way, optional), FIO (0 skips fio: replaying a
# 16 TiB format's million writes takes it minutes).
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SIZES=${SIZES:-1T}
OLD=${OLD:-}
FIO=${FIO:-1}

make -s "$BUILD/pcache-format"
command -v fio >/dev/null && command -v jq >/dev/null ||
	tools/install-deps.sh bench
[ -x /usr/bin/time ] || { echo "bench-format: needs /usr/bin/time" >&2; exit 1; }

dir=$(mktemp -d "${DIR:-/var/tmp}/pcache-fmt.XXXXXX")
trap 'rm -rf "$dir"' EXIT
img=$dir/image

# One timed run on a fresh sparse image of size $size: "WALL CPU ALLOC".
timed() {
	rm -f "$img"
	truncate -s "$size" "$img"
	sync
	/usr/bin/time -o "$dir/time" -f '%e %U %S' "$@" > /dev/null 2>&1
	echo "$(awk '{ printf "%s %.2f", $1, $2 + $3 }' "$dir/time")" \
		"$(($(stat -c '%b * %B' "$img")))"
	rm -f "$img"
}

# The pages a full format writes over a hole, as a fio iolog.
iolog() {
	awk -v f="$img" -v n="$1" 'BEGIN {
		print "fio version 2 iolog"
		print f " add"; print f " open"
		print f " write 4096 4096"	# superblock
		print f " write 12288 8192"	# cache_info slot 1, tails
		for (p = 0; p < n; p++) {
			base = 20480 + p * 16777216
			if (p + 1 < n)	# slots 0 and 1, gen
				printf "%s write %.0f 12288\n", f, base
			else	# the last segment has no slot 0
				printf "%s write %.0f 8192\n", f, base + 4096
		}
		print f " close" }'
}

row() {
	printf '| %s | %s | %s s | %s s | %s |\n' "$1" "$2" "$3" "$4" \
		"$(($5 >> 10))"
}

echo "# full format of sparse images in ${DIR:-/var/tmp}"
echo
echo "| size | writer | wall | CPU | allocated (KiB) |"
echo "|---|---|---|---|---|"
for size in $SIZES; do
	truncate -s "$size" "$img"
	segs=$("$BUILD/pcache-format" --dry-run --json "$img" | jq .seg_num)
	# the floor: superblock page, cache_info/tails pages, 3 pages per
	# segment but the last (2)
	floor=$((4096 + 8192 + segs * 12288 - 4096))
	if [ "$FIO" = 1 ]; then
		iolog "$segs" > "$dir/iolog"
		read -r fw fc fa < <(timed fio --name=pages \
			--read_iolog="$dir/iolog" --ioengine=psync \
			--replay_no_stall=1 --end_fsync=1 --output-format=terse)
	fi
	read -r dw dc da < <(timed dd if=/dev/zero of="$img" bs=4M \
		conv=fsync,notrunc count="$floor" iflag=count_bytes)
	if [ -n "$OLD" ]; then
		read -r ow oc oa < <(timed "$OLD" -q "$img")
		row "$size" "pcache-format ($OLD)" "$ow" "$oc" "$oa"
	fi
	read -r pw pc pa < <(timed "$BUILD/pcache-format" -q "$img")
	row "$size" "pcache-format (full)" "$pw" "$pc" "$pa"
	[ "$FIO" = 1 ] &&
		row "$size" "fio, the same pages ($segs segments)" "$fw" "$fc" "$fa"
	row "$size" "dd, as many bytes sequentially" "$dw" "$dc" "$da"
	awk -v p="$pw" -v d="$dw" -v s="$size" -v b="$floor" 'BEGIN {
		printf "%s: floor %.0f bytes (%.1f MiB)", s, b, b / 1048576
		if (d > 0)
			printf "; pcache-format takes %.2fx the floor'\''s " \
			       "time (dd)", p / d
		print "" }' >> "$dir/summary"
	[ "$FIO" = 1 ] && awk -v p="$pw" -v f="$fw" -v s="$size" 'BEGIN {
		if (f > 0)
			printf "%s: pcache-format takes %.2fx fio'\''s time " \
			       "for the same pages\n", s, p / f }' >> "$dir/summary"
done
echo
cat "$dir/summary"
