# 512 MiB cache (31 segments) in front of 1 GiB: overwrite-heavy and
# larger-than-cache writes force segment chaining, writeback and GC.
check "create (512 MiB cache)" mkcache false
check "status of a fresh 512 MiB cache" status_is \
	"0 $SECTORS pcache 0 31 31 1 70 1182 0:0 0:0 0:0"
dmsetup remove pc0
# Fill key segment 0 with 128-key ksets of CLEAN keys so that the workload
# has to chain the log into new key segments (LAST ksets).
check "fill the log of segment 0" pcimg fill /dev/pmem0
check "create on the filled log (replay)" mkcache false
echo "status after fill: $(status)"
check "replayed log ends near the end of segment 0" \
	[ "$(sfield 7 | cut -d: -f2)" -gt 16700000 ]
check "clean keys read back as the backing device's zeros" is_zero $DEV 4
ok=1
for s in 11 12 13 14 15 16 17 18; do
	wr $s 0 33554432 65536 || ok=0
done
check "overwrite a 32 MiB range 8 times (256 MiB)" [ $ok = 1 ]
check "write 640 MiB sequentially (larger than the cache)" \
	wr 21 134217728 671088640 1048576
echo "status after workload: $(status)"
check "overwritten range reads back (last version)" vf $DEV 18 0 33554432
check "large range reads back" vf $DEV 21 134217728 671088640
check "writeback completes" wait_clean 1200
echo "status clean: $(status)"
check "log chained into another key segment" [ "$(sfield 7 | cut -d: -f1)" != 0 ]
check "GC followed the LAST kset (key_tail left segment 0)" \
	[ "$(sfield 9 | cut -d: -f1)" != 0 ]
check "backing: overwritten range" vf /dev/vda 18 0 33554432
check "backing: large range" vf /dev/vda 21 134217728 671088640
check "remove" dmsetup remove pc0
check "create again (replay across key segments)" mkcache false
echo "status after reload: $(status)"
check "after reload: overwritten range" vf $DEV 18 0 33554432
check "after reload: part of the large range" vf $DEV 21 738197504 67108864
check "remove again" dmsetup remove pc0
