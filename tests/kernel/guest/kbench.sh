# Side-by-side figures for tools/bench-kcache.sh (not a test): the same
# pcache-bench io workloads on whichever module the guest loaded. Settings
# come from /scen/kbench.conf (RUNTIME; ONLY, a regex of the workloads to
# run). Every result line is printed as "PCB: NAME VALUE" for the host.
# 1 GiB cache in front of a 2 GiB disk.
. /scen/kbench.conf
J=$(nproc)
R=/tmp/r.json
pb() {		# pb NAME JQ DEVICE OPTION...
	n=$1 q=$2 d=$3
	shift 3
	[ -z "${ONLY:-}" ] || echo "$n" | grep -Eq "$ONLY" || return 0
	if pcache-bench io --direct --quiet --json --force "$@" "$d" >$R; then
		echo "PCB: $n $(jq -r "$q" $R)"
	else
		echo "PCB: $n failed"
	fi
}
W='.total.write.iops'
RD='.total.read.iops'
check "create (1 GiB cache, data_crc false)" mkcache false
# the upper 1 GiB of the disk through a second mapping, for read misses
dmsetup create hi --table "0 $((SECTORS / 2)) linear $DEV $((SECTORS / 2))"
HI=/dev/mapper/hi
T="--runtime $RUNTIME"
pb randwrite-4k-j1 $W $DEV --rw randwrite --bs 4k --size 256m $T
pb randwrite-4k-j$J $W $DEV --rw randwrite --bs 4k --size 256m --jobs $J $T
pb cached-randread-4k-j1 $RD $DEV --rw randread --bs 4k --size 256m $T
pb cached-randread-4k-j$J $RD $DEV --rw randread --bs 4k --size 256m --jobs $J $T
# Misses start once the writes above are written back: otherwise they
# compete with a backlog that grows with the module's write rate.
wait_clean 2400
pb miss-randread-4k-j1 $RD $HI --rw randread --bs 4k --seed 2 $T
pb miss-randread-4k-j$J $RD $HI --rw randread --bs 4k --seed 3 --jobs $J $T
wait_clean 2400
echo "PCB: # status before the GC workloads: $(status)"
# more than the cache holds: writeback and GC have to free segments
pb seqwrite-1m-1536m-MBps '.total.write.bw_bytes_per_s / 1048576' $DEV \
	--rw write --bs 1m --size 1536m
pb full-randwrite-4k-j1 $W $DEV --rw randwrite --bs 4k --seed 4 $T
pb full-randwrite-4k-j$J $W $DEV --rw randwrite --bs 4k --seed 5 --jobs $J $T
echo "PCB: # status after: $(status)"
dmsetup remove hi
check "writeback completes" wait_clean 2400
check "remove" dmsetup remove pc0
