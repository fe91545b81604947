#!/bin/sh
# bench-overhead.sh - user-space instructions each load generator executes
# per I/O, counted by callgrind: repeatable whatever the machine's load,
# unlike a timing. Each tool runs twice, N and 2N I/Os of one job at
# iodepth 1 on a tmpfs file; the difference of the two counts divided by N
# is the cost of one I/O without the start-up and report.
#
# Usage: tools/bench-overhead.sh [-b PCACHE_BENCH] [-n N] [rw:bs...]
# Needs valgrind and fio (tools/install-deps.sh bench; valgrind is on every
# development machine here).
set -eu
bench=build/pcache-bench
n=20000
while getopts b:n: opt; do
	case $opt in
	b) bench=$OPTARG ;;
	n) n=$OPTARG ;;
	*) echo "usage: $0 [-b PCACHE_BENCH] [-n N] [rw:bs...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- randwrite:4k randread:4k
for p in valgrind fio "$bench"; do
	command -v "$p" >/dev/null ||
		{ echo "bench-overhead: $p: not found (apt-get install valgrind fio; make)" >&2; exit 1; }
done
dir=/dev/shm
[ -d "$dir" ] || dir=${TMPDIR:-/tmp}
tmp=$(mktemp -d "$dir/pcache-overhead.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
f=$tmp/target

target() {	# target BYTES: the file, written once in full (no page is
		# allocated during a run)
	rm -f "$f"
	dd if=/dev/zero of="$f" bs=1M count=$((($1 + 1048575) >> 20)) status=none
}

bytes() { numfmt --from=iec "$(echo "$1" | tr 'kmg' 'KMG')"; }

count() {	# count COMMAND...: callgrind's instruction total of one run
	out=$tmp/cg.out
	valgrind --tool=callgrind --callgrind-out-file="$out" "$@" \
		>/dev/null 2>"$tmp/cg.err" || { cat "$tmp/cg.err" >&2; exit 1; }
	awk '/^summary:/ { print $2 }' "$out"
}

per_io() {	# per_io TOOL RW BS
	a=$(run_tool "$1" "$2" "$3" "$n")
	b=$(run_tool "$1" "$2" "$3" $((2 * n)))
	echo $(((b - a) / n))
}

run_tool() {	# run_tool TOOL RW BS IOS
	case $1 in
	fio) count fio --name=ovh --thread --filename="$f" --rw="$2" --bs="$3" \
		--ioengine=psync --direct=1 --norandommap --io_size=$(($4 * $(bytes "$3"))) \
		--lat_percentiles=1 --output-format=json ;;
	pb) count "$bench" io --rw "$2" --bs "$3" --direct --force --quiet \
		--json --size $(($4 * $(bytes "$3"))) "$f" ;;
	esac
}

printf '%-14s %18s %18s\n' workload "fio instr/IO" "pcache-bench instr/IO"
for w in "$@"; do
	rw=${w%%:*}
	bs=${w#*:}
	target $((2 * n * $(bytes "$bs")))
	printf '%-14s %18s %18s\n' "$w" "$(per_io fio "$rw" "$bs")" \
		"$(per_io pb "$rw" "$bs")"
done
