# Where the CPU time of a workload goes, per module (tools/bench-kcache.sh
# -p; not a test): perf samples every CPU (cpu-clock) during 4 KiB random
# writes in the cache, during read misses, and during 4 KiB random writes
# once 1.5 GiB of sequential writes have filled the cache (writeback and GC
# busy), and prints the top symbols as "PCB: " lines for the host.
. /scen/kbench.conf
check "create (1 GiB cache, data_crc false)" mkcache false
dmsetup create hi --table "0 $((SECTORS / 2)) linear $DEV $((SECTORS / 2))"
prof() {	# prof NAME DEVICE OPTION...
	n=$1 d=$2
	shift 2
	perf record -q -e cpu-clock -a -o /tmp/p.data -- \
		pcache-bench io --direct --quiet --force "$@" "$d" >/tmp/b.txt 2>&1
	echo "PCB: ## $n: $(grep -i iops /tmp/b.txt | head -n 1)"
	perf report -q -i /tmp/p.data --stdio --sort sym --percent-limit 0.7 \
		2>/dev/null | sed 's/^/PCB: /' | head -n 45
}
prof randwrite-4k-j1 $DEV --rw randwrite --bs 4k --size 256m --runtime $RUNTIME
prof miss-randread-4k-j1 /dev/mapper/hi --rw randread --bs 4k --runtime $RUNTIME
dmsetup remove hi
pcache-bench io --direct --quiet --force --rw write --bs 1m --size 1536m $DEV >/dev/null
prof full-randwrite-4k-j1 $DEV --rw randwrite --bs 4k --seed 4 --runtime $RUNTIME
check "remove" dmsetup remove pc0
