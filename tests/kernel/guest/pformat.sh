# Cache device prepared by pcache-format (data CRC on, gc_percent 50).
check "table with data_crc false is refused" fails mkcache false
check "create on an image made by pcache-format" mkcache true
check "status shows the formatter's settings" status_is \
	"0 $SECTORS pcache 0 63 63 1 50 c83 0:0 0:0 0:0"
check "write 3 MiB in 64 KiB writes" wr 31 4194304 3145728 65536
check "write 256 KiB in 4 KiB writes" wr 32 104857600 262144 4096
check "read back (1)" vf $DEV 31 4194304 3145728
check "read back (2)" vf $DEV 32 104857600 262144
check "writeback completes" wait_clean
check "backing device holds the data" vf /dev/vda 31 4194304 3145728
check "remove" dmsetup remove pc0
check "create again (replay with data CRC)" mkcache true
check "after reload: data reads back" vf $DEV 32 104857600 262144
check "remove again" dmsetup remove pc0
