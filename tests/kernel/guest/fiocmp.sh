# fio against pcache-bench io on a live dm-pcache device and on the raw
# pmem device (tools/bench-guest.sh; not part of the tests). Settings come
# from /scen/fiocmp.conf: RUNS, RUNTIME, WORKLOADS, DATA_CRC. Every line of
# the comparison is printed with a "PCB: " prefix for the host.
. /scen/fiocmp.conf
drain='. /scen/lib.sh; wait_clean 2400'
cmp() {		# cmp DEVICE [PRE]
	echo "PCB: # $1"
	compare-fio.sh -b pcache-bench -t "$RUNTIME" -n "$RUNS" ${2:+-p "$2"} \
		"$1" $WORKLOADS 2>&1 | sed 's/^/PCB: /'
}
echo "PCB: # clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
check "create (1 GiB cache, data_crc $DATA_CRC)" mkcache "$DATA_CRC"
echo "PCB: # status before: $(status)"
cmp $DEV "$drain"
echo "PCB: # status after: $(status)"
check "writeback completes" wait_clean 2400
check "remove" dmsetup remove pc0
cmp /dev/pmem0
