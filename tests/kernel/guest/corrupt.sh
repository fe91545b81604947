# Damaged media: every case must be refused with a clear message (or, for
# a kset that is merely invalid, read as the end of the log); no oops.
check "create" mkcache false
check "write 1 MiB" wr 1 0 1048576 65536
check "remove" dmsetup remove pc0
# Everything the cases touch: the header, segment 0's metadata and the
# start of its log (24 pages), and segment 1's metadata (3 pages).
S1=$(((20480 + 16777216) / 4096))
blockdev --flushbufs /dev/pmem0
dd if=/dev/pmem0 of=/save0.img bs=4096 count=24 2>/dev/null
dd if=/dev/pmem0 of=/save1.img bs=4096 skip=$S1 count=3 2>/dev/null

restore() {
	dd if=/save0.img of=/dev/pmem0 bs=4096 conv=notrunc,fsync 2>/dev/null
	dd if=/save1.img of=/dev/pmem0 bs=4096 seek=$S1 conv=notrunc,fsync 2>/dev/null
	blockdev --flushbufs /dev/pmem0
}

refused() {	# refused CASE MESSAGE
	pcimg corrupt /dev/pmem0 "$1"
	dmesg -c >/dev/null
	check "$1: activation refused" fails mkcache false
	dmesg | grep -q "$2" && ok "$1: message '$2'" || {
		notok "$1: message '$2'"; dmesg | tail -n 3; }
	dmsetup remove pc0 2>/dev/null
	restore
}

refused sb-crc "bad superblock crc"
refused sb-magic "bad superblock magic"
refused sb-segnum "seg_num 1000 out of range"
refused info-nsegs "n_segs 64 invalid"
refused chain-dup "physical segment 1 appears twice"
refused chain-range "physical id 5000 >= seg_num"
refused tail-range "key_tail 0:16764928 out of range"
refused dirty-off-log "is not on the log from key_tail"
refused key-empty "EMPTY key"
refused key-backing "outside the backing device"
refused key-segoff "points outside the cache"
refused last-range "bad LAST kset"

pcimg corrupt /dev/pmem0 keynum-big
check "keynum-big: a kset with 200 keys ends the log (dirty_tail 0:0)" mkcache false
check "keynum-big: key_head 0:0" [ "$(sfield 7)" = "0:0" ]
dmsetup remove pc0
restore
check "intact image still activates" mkcache false
check "intact image: data reads back" vf $DEV 1 0 1048576
check "remove" dmsetup remove pc0
