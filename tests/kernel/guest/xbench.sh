# The same pcache-bench io workloads with whichever module this boot has.
# One line per workload: "PCT-BENCH name iops p50_ns p99_ns".
. /xc.env	# BENCH_S
MOD=ours
[ -f /lib/mod/upstream ] && MOD=upstream
B=/tmp/b.json
T=${BENCH_S:-4}
bench() {	# bench NAME RW pcache-bench-args...
	name=$1 rw=$2
	shift 2
	if pcache-bench io --rw "$rw" --direct --quiet --json "$@" $DEV >$B 2>/tmp/b.err; then
		d=read
		case $rw in *write) d=write ;; esac
		echo "PCT-BENCH $name $(jq -r ".total.$d | \"\(.iops) \(.lat_ns.p50) \(.lat_ns.p99)\"" $B)"
		ok "$MOD: pcache-bench $name"
	else
		cat /tmp/b.err
		notok "$MOD: pcache-bench $name"
	fi
}
check "$MOD: create (512 MiB cache)" mkcache false
bench readmiss randread --bs 4k --runtime $T --seed 3
bench randwrite randwrite --bs 4k --size 256m --runtime $T --seed 4
check "$MOD: fill 64 MiB for the cached reads" \
	pcache-bench io --rw write --bs 1m --size 64m --direct --quiet $DEV
bench cachedread randread --bs 4k --size 64m --runtime $T --seed 5
bench wbgc write --bs 1m --size 768m
echo "status after the benchmarks: $(status)"
check "$MOD: writeback completes" wait_clean 1200
check "$MOD: remove" dmsetup remove pc0
