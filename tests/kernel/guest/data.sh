# Existing cache (formatted by the previous boot): messages, I/O, writeback,
# then dirty data and a power cut. The backing device is a linear mapping
# of /dev/vda so that it can be suspended to hold writeback back.
dmsetup create back --table "0 $SECTORS linear /dev/vda 0"
BACK=/dev/mapper/back
check "data_crc mismatch is refused" fails mkcache true
check "create on the cache formatted by our module" mkcache false
check "status after reload" status_is \
	"0 $SECTORS pcache 0 63 63 1 70 1182 0:0 0:0 0:0"
check "table reload of the live device is refused" fails dmsetup reload pc0 \
	--table "0 $SECTORS pcache /dev/pmem0 $BACK 4 cache_mode writeback data_crc false"
check "a second device on the same cache device is refused" fails dmsetup create pc1 \
	--table "0 $SECTORS pcache /dev/pmem0 $BACK 4 cache_mode writeback data_crc false"
dmsetup remove pc1 2>/dev/null
check "gc_percent 91 is refused" fails dmsetup message pc0 0 gc_percent 91
check "gc_percent 50 accepted" dmsetup message pc0 0 gc_percent 50
check "status shows gc_percent 50" status_is \
	"0 $SECTORS pcache 0 63 63 1 50 c82 0:0 0:0 0:0"
dmsetup message pc0 0 gc_percent 70
check "write 1 MiB in 1 MiB writes" wr 1 0 1048576 1048576
check "write 2 MiB in 4 KiB writes" wr 2 8388608 2097152 4096
check "write 512 KiB in 512 B writes" wr 3 67109376 524288 512
check "write 6 MiB across a 4 MiB boundary" wr 4 20971520 6291456 1048576
check "overwrite 128 KiB inside the first range" wr 5 65536 131072 4096
check "read back range 1 (head)" vf $DEV 1 0 65536
check "read back overwritten part" vf $DEV 5 65536 131072
check "read back range 1 (tail)" vf $DEV 1 196608 851968
check "read back range 2" vf $DEV 2 8388608 2097152
check "read back range 3" vf $DEV 3 67109376 524288
check "read back range 4" vf $DEV 4 20971520 6291456
check "writeback completes (dirty_tail reaches key_head)" wait_clean
check "backing device holds range 1 (head)" vf /dev/vda 1 0 65536
check "backing device holds overwritten part" vf /dev/vda 5 65536 131072
check "backing device holds range 2" vf /dev/vda 2 8388608 2097152
check "backing device holds range 3" vf /dev/vda 3 67109376 524288
check "backing device holds range 4" vf /dev/vda 4 20971520 6291456
check "key_head moved on" [ "$(sfield 7)" != "0:0" ]
check "segments in use counted" [ "$(sfield 4)" -gt 1 ]
# dirty data, flushed to the cache log; writeback is held back
check "suspend the backing device" dmsetup suspend back
check "write dirty data (2 MiB, fsync)" wr 6 33554432 2097152 65536
check "overwrite 64 KiB of range 2 (fsync)" wr 7 8454144 65536 4096
# no flush at all: the 1 s kset timer must make these durable
check "write 256 KiB without fsync, wait 3 s" \
	sh -c "PCPAT_NOSYNC=1 pcpat write $DEV 8 50331648 262144 4096 && sleep 3"
echo "status before cut: $(status)"
check "dirty data in the cache at the cut (dirty_tail != key_head)" \
	[ "$(sfield 7)" != "$(sfield 8)" ]
echo "PCT-CUT"
sleep 1000
