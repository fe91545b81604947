# After a power cut following miss fills (readcache): the CLEAN keys are
# replayed, so the filled ranges are served with the backing suspended.
dmsetup create back --table "0 $SECTORS linear /dev/vda 0"
BACK=/dev/mapper/back
check "create after the power cut (replay with data CRC)" mkcache true
echo "status after replay: $(status)"
check "key_head after replay is not 0:0" [ "$(sfield 7)" != "0:0" ]
check "suspend the backing device" dmsetup suspend back
check "replayed CLEAN keys serve the last fill (backing suspended)" \
	timeout 60 pcpat verify $DEV 61 943718400 4194304
check "resume the backing device" dmsetup resume back
check "raced ranges read back as written" vf $DEV 63 33554432 19660800
check "data read through reads back" vf $DEV 61 134217728 16777216
check "writeback completes" wait_clean 600
# A miss ends before its fill is stored: a remove right behind a burst of
# 64 KiB misses (ended in the completion context) must wait for the fills
# still queued, or drop them, and leave a consistent cache.
check "16 MiB of 64 KiB read misses, then remove at once" sh -c \
	"dd if=$DEV of=/dev/null iflag=direct bs=64k skip=15360 count=256 2>/dev/null &&
	 dmsetup remove pc0"
check "create again" mkcache true
check "the range read before the remove reads back" vf $DEV 61 1006632960 16777216
check "remove" dmsetup remove pc0
