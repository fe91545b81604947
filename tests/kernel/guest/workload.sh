# 512 MiB cache (31 segments) in front of 1 GiB: overwrite-heavy and
# larger-than-cache writes force segment chaining, writeback and GC.
check "create (512 MiB cache)" mkcache false
check "status of a fresh 512 MiB cache" status_is \
	"0 $SECTORS pcache 0 31 31 1 70 1182 0:0 0:0 0:0"
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
check "key_tail moved (GC ran)" [ "$(sfield 9)" != "0:0" ]
check "backing: overwritten range" vf /dev/vda 18 0 33554432
check "backing: large range" vf /dev/vda 21 134217728 671088640
check "remove" dmsetup remove pc0
