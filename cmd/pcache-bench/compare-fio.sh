#!/bin/sh
# compare-fio.sh - run the same workloads with fio and pcache-bench io on one
# device and print IOPS and p50/p99 latency side by side, with the relative
# difference. Needs fio and jq (tools/install-deps.sh bench).
#
# Usage: compare-fio.sh [-b PCACHE_BENCH] [-t SECONDS] [-n RUNS] [-o RAWDIR]
#                       [-p PRE] DEVICE [WORKLOAD...]
# PRE is a shell command run before every run, e.g. one that waits until a
# dm-pcache device has written its dirty data back, so that every run
# starts from the same state of the cache.
# RAWDIR receives every run's iops, p50, p99 and own_ns (WORKLOAD.fio,
# WORKLOAD.pb).
# A WORKLOAD is "rw:bs:jobs:iodepth", e.g. randwrite:4k:1:1 (the default set
# is below). Every run uses O_DIRECT; iodepth 1 runs use fio's psync engine,
# deeper ones libaio with batched submission and reaping, as pcache-bench
# does. The device is overwritten.
# Latency: at iodepth 1 pcache-bench times the system call, which is fio's
# completion latency (clat, the percentiles fio prints by default); deeper,
# it times from io_submit to the reap, fio's total latency (lat).
# own_ns (iodepth 1): the time per I/O each tool spent outside its timed
# calls (fio: job_runtime / total_ios - mean clat; pcache-bench:
# tool_ns_per_io). The IOPS differ by about the difference of this row.
# Each workload runs RUNS times per tool, alternating fio and pcache-bench.
# "fio" and "pcache-bench" are the medians of each figure, "diff" compares
# those, and "paired" is the median over the runs of each pcache-bench run
# against the fio run just before it, which cancels slow changes of the
# machine's load: on a shared machine single runs differ from each other by
# more than the tools do.
set -eu

bench=${PCACHE_BENCH:-build/pcache-bench}
runtime=10
runs=5
raw=
pre=
while getopts b:t:n:o:p: opt; do
	case $opt in
	b) bench=$OPTARG ;;
	t) runtime=$OPTARG ;;
	n) runs=$OPTARG ;;
	o) raw=$OPTARG ;;
	p) pre=$OPTARG ;;
	*) echo "usage: $0 [-b PCACHE_BENCH] [-t SECONDS] [-n RUNS] [-o RAWDIR] [-p PRE] DEVICE [rw:bs:jobs:iodepth...]" >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-b PCACHE_BENCH] [-t SECONDS] [-n RUNS] [-o RAWDIR] [-p PRE] DEVICE [WORKLOAD...]" >&2; exit 2; }
dev=$1
shift
[ $# -gt 0 ] || set -- randwrite:4k:1:1 randwrite:4k:2:1 randwrite:4k:32:1 \
	randread:4k:1:1 randread:4k:1:16 randwrite:4k:2:16
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

dir_of() {
	case $1 in *read*) echo read ;; *) echo write ;; esac
}

median() { # median of column $1 of file $2
	cut -f "$1" "$2" | sort -g | awk '{ v[NR] = $1 }
		END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

paired() { # median over runs of pcache-bench / fio - 1 for column $1, in percent
	paste "$tmp/fio.txt" "$tmp/pb.txt" | awk -v c="$1" '
		{ f = $c; p = $(c + 4); if (f > 0) print (p - f) * 100 / f }' |
		sort -g | awk '{ v[NR] = $1 } END {
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%+.1f%%", m }'
}

pct() { # difference of $2 relative to $1, in percent
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", a ? (b - a) * 100 / a : 0 }'
}

printf '%-22s %-6s %12s %12s %8s %8s\n' workload figure fio pcache-bench diff paired
for w in "$@"; do
	IFS=: read -r rw bs jobs depth <<EOF
$w
EOF
	# pcache-bench submits every free slot in one io_submit() and reaps up
	# to iodepth completions at once: ask fio to batch the same way.
	engine="--ioengine=psync"
	[ "$depth" -gt 1 ] && engine="--ioengine=libaio
		--iodepth_batch_submit=$depth --iodepth_batch_complete_max=$depth"
	d=$(dir_of "$rw")
	lat=clat_ns
	[ "$depth" -gt 1 ] && lat=lat_ns
	: > "$tmp/fio.txt"
	: > "$tmp/pb.txt"
	i=0
	while [ $i -lt "$runs" ]; do
		i=$((i + 1))
		[ -z "$pre" ] || sh -c "$pre"
		fio --name=cmp --filename="$dev" --rw="$rw" --bs="$bs" \
			--numjobs="$jobs" --iodepth="$depth" $engine \
			--direct=1 --runtime="$runtime" --time_based --norandommap \
			--group_reporting --lat_percentiles=1 --output-format=json |
			jq -r --arg d "$d" --arg l "$lat" '.jobs[0] as $j | $j[$d] |
				[.iops, .[$l].percentile["50.000000"],
				 .[$l].percentile["99.000000"],
				 (if .total_ios > 0 then $j.job_runtime * 1e6 /
				  .total_ios - .clat_ns.mean else 0 end)] | @tsv' \
			>> "$tmp/fio.txt"
		[ -z "$pre" ] || sh -c "$pre"
		"$bench" io --rw "$rw" --bs "$bs" --jobs "$jobs" --iodepth "$depth" \
			--direct --runtime "$runtime" --force --json "$dev" |
			jq -r --arg d "$d" '.total as $t | $t[$d] |
				[.iops, .lat_ns.p50, .lat_ns.p99,
				 ($t.tool_ns_per_io // 0)] | @tsv' >> "$tmp/pb.txt"
	done
	if [ -n "$raw" ]; then
		mkdir -p "$raw"
		cp "$tmp/fio.txt" "$raw/$w.fio"
		cp "$tmp/pb.txt" "$raw/$w.pb"
	fi
	f_iops=$(median 1 "$tmp/fio.txt")
	f_p50=$(median 2 "$tmp/fio.txt")
	f_p99=$(median 3 "$tmp/fio.txt")
	p_iops=$(median 1 "$tmp/pb.txt")
	p_p50=$(median 2 "$tmp/pb.txt")
	p_p99=$(median 3 "$tmp/pb.txt")
	printf '%-22s %-6s %12.0f %12.0f %8s %8s\n' "$w" iops "$f_iops" "$p_iops" \
		"$(pct "$f_iops" "$p_iops")" "$(paired 1)"
	printf '%-22s %-6s %12.0f %12.0f %8s %8s\n' "" p50_ns "$f_p50" "$p_p50" \
		"$(pct "$f_p50" "$p_p50")" "$(paired 2)"
	printf '%-22s %-6s %12.0f %12.0f %8s %8s\n' "" p99_ns "$f_p99" "$p_p99" \
		"$(pct "$f_p99" "$p_p99")" "$(paired 3)"
	[ "$depth" -gt 1 ] && continue
	f_own=$(median 4 "$tmp/fio.txt")
	p_own=$(median 4 "$tmp/pb.txt")
	printf '%-22s %-6s %12.0f %12.0f %8s %8s\n' "" own_ns "$f_own" "$p_own" \
		"$(pct "$f_own" "$p_own")" "$(paired 4)"
done
