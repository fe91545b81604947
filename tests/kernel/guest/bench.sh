# pcache-bench io on a live dm-pcache device: it finds the target by its DM
# name and samples the kernel's status line during the run. 1 GiB cache
# (63 segments) in front of a 2 GiB backing disk.
B=/tmp/b.json
jqb() { jq -r "$1" $B; }

check "create (1 GiB cache)" mkcache false
check "4k randwrite for 3 s (no --force needed on an unused device)" \
	sh -c "pcache-bench io --rw randwrite --bs 4k --direct --runtime 3 \
		--interval 0.25 --quiet --json $DEV >$B"
echo "status after randwrite: $(status)"
check "device is reported as dm-pcache pc0" \
	[ "$(jqb '.device.dm_name + " " + (.device.pcache | tostring)')" = "pc0 true" ]
check "status sampled at least 4 times, no failed sample" \
	[ "$(jqb '.pcache.samples >= 4 and .pcache.sample_errors == 0')" = true ]
check "sampled seg_total and gc_percent are the table's (63, 70)" \
	[ "$(jqb '"\(.pcache.seg_total) \(.pcache.gc_percent)"')" = "63 70" ]
check "key log grew from 0:0 during the run" \
	[ "$(jqb '"\(.pcache.start.key_head) \(.pcache.key_log.advances > 0)"')" = "0:0 true" ]
# Every 4 KiB write appends one 32-byte key at least (a kset header per
# up to 128 keys comes on top), so the log grew by more than ios * 32.
check "key log growth >= 32 bytes per write" \
	[ "$(jqb '.pcache.key_log.bytes_min >= .total.write.ios * 32')" = true ]
check "dirty backlog seen, segments in use grew" \
	[ "$(jqb '.pcache.dirty_log_bytes_max > 0 and .pcache.segs_used_max > .pcache.start.segs_used')" = true ]
check "no I/O errors, writes counted per job and in total" \
	[ "$(jqb '.jobs[0].write.ios == .total.write.ios and .total.write.ios > 0')" = true ]

# 1.5 GiB of sequential 1 MiB writes into a 1 GiB cache: the run can only
# finish if writeback and GC free segments while it goes, and the sampler
# must see both tails move.
check "write 1.5 GiB sequentially through the 1 GiB cache" \
	sh -c "pcache-bench io --rw write --bs 1m --size 1536m --direct \
		--interval 0.25 --quiet --json $DEV >$B"
echo "status after sequential: $(status)"
check "all 1536 writes done" [ "$(jqb '.total.write.ios')" = 1536 ]
check "writeback moved during the run" \
	[ "$(jqb '.pcache.writeback.advances > 0 and .pcache.writeback.bytes_min > 0')" = true ]
check "gc moved during the run" \
	[ "$(jqb '.pcache.gc.advances > 0')" = true ]
check "segments in use stayed within the cache" \
	[ "$(jqb '.pcache.segs_used_max <= 63')" = true ]
pcache-bench io --rw randread --bs 4k --direct --runtime 1 --quiet $DEV >/tmp/b.txt
check "human report has the dm-pcache section" \
	grep -q "^dm-pcache pc0: [0-9]* samples (0 failed)" /tmp/b.txt
check "writeback completes" wait_clean 1200
check "remove" dmsetup remove pc0
# Without device-mapper in between there is no status to sample.
pcache-bench io --rw randread --bs 4k --direct --runtime 1 --quiet --json /dev/pmem0 >$B
check "raw pmem: no dm-pcache section" \
	[ "$(jqb '.device.pcache | tostring')" = false ]
