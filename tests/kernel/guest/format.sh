# Zeroed pmem: the first activation formats exactly as upstream does.
check "create on a zeroed cache device (kernel format)" mkcache false
check "status line of a fresh cache" status_is \
	"0 $SECTORS pcache 0 63 63 1 70 1182 0:0 0:0 0:0"
t=$(dmsetup table pc0)
want="0 $SECTORS pcache $(cat /sys/block/pmem0/dev) $(cat /sys/block/vda/dev) 4 cache_mode writeback crc false"
check "table line" [ "$t" = "$want" ]
check "remove" dmsetup remove pc0
