# Read misses are cached as CLEAN keys (512 MiB cache, data CRC on, in
# front of a 1 GiB backing disk that the host filled with pattern 61).
# The backing device is a linear mapping of /dev/vda, so suspending it
# proves where a read is served from: a read that completes while it is
# suspended came from the cache, and writeback that finishes while it is
# suspended wrote nothing.
dmsetup create back --table "0 $SECTORS linear /dev/vda 0"
BACK=/dev/mapper/back
check "create (512 MiB cache, data_crc true, kernel format)" mkcache true
check "status of a fresh cache" status_is \
	"0 $SECTORS pcache 0 31 31 1 70 1183 0:0 0:0 0:0"
bsum=$(range_sha /dev/vda 0 16777216)

# 1. miss, then hit
check "read miss: 8 MiB in 4 KiB..1 MiB reads returns the backing data" \
	vf $DEV 61 0 8388608
check "read miss: 512 B reads of 64 KiB" sh -c \
	'i=0; while [ $i -lt 128 ]; do pcpat verify '$DEV' 61 $((9437184 + i * 512)) 512 || exit 1; i=$((i + 1)); done'
sleep 2
h1=$(sfield 7)
echo "status after the misses: $(status)"
check "the miss fills moved key_head (CLEAN keys logged)" [ "$h1" != "0:0" ]
check "the miss fills took data segments" [ "$(sfield 4)" -gt 2 ]
check "suspend the backing device" dmsetup suspend back
check "second read is served from the cache (backing suspended)" \
	timeout 60 pcpat verify $DEV 61 0 8388608
check "512 B fills are hits too" timeout 60 pcpat verify $DEV 61 9437184 65536
sleep 2
check "hits add no keys (key_head unchanged)" [ "$(sfield 7)" = "$h1" ]
check "writeback skips CLEAN keys (clean with the backing suspended)" \
	wait_clean 60
check "resume the backing device" dmsetup resume back
check "a read-only workload left the backing disk unchanged" \
	[ "$(range_sha /dev/vda 0 16777216)" = "$bsum" ]

# 2. a partly cached range: one 1 MiB read combines cached and backing
# bytes, and the miss fills only the pieces that were not cached
mixed() {	# sha256 of the expected 1 MiB at 16 MiB
	{ pcpat gen 61 16777216 65536; pcpat gen 62 16842752 65536
	  pcpat gen 61 16908288 917504; } | sha256sum | cut -d' ' -f1
}
read1m() { dd if=$DEV iflag=direct bs=1M skip=16 count=1 2>/dev/null |
	sha256sum | cut -d' ' -f1; }
check "write 64 KiB (pattern 62) inside an uncached range" \
	wr 62 16842752 65536 4096
check "one 1 MiB read around it: cached and backing bytes combined" \
	[ "$(read1m)" = "$(mixed)" ]
sleep 2
check "suspend the backing device" dmsetup suspend back
check "the whole 1 MiB is cached now (backing suspended)" \
	[ "$(timeout 60 sh -c "dd if=$DEV iflag=direct bs=1M skip=16 count=1 2>/dev/null" |
	     sha256sum | cut -d' ' -f1)" = "$(mixed)" ]
check "resume the backing device" dmsetup resume back

# 3. writes racing miss fills on uncached ranges: the newest data wins
check "300 rounds of a 64 KiB O_DIRECT read racing 4 KiB writes" \
	pcpat race $DEV 61 63 33554432 300 65536
check "after the race every range holds the written data" \
	vf $DEV 63 33554432 19660800
check "writeback of the raced ranges completes" wait_clean 600
check "backing holds the written data" vf /dev/vda 63 33554432 19660800

# 4. more reads than the cache holds: GC reclaims segments of CLEAN keys
check "read 448 MiB sequentially (1 MiB O_DIRECT reads)" \
	vf $DEV 61 134217728 469762048
sleep 3
echo "status after the large read: $(status)"
check "GC ran over the CLEAN keys (key_tail moved)" [ "$(sfield 9)" != "0:0" ]
check "segments in use stay below the cache size" [ "$(sfield 4)" -lt 31 ]
# A fill whose reader has ended is dropped when a reclaim ran meanwhile
# (the shard's purge count moved): read the range once more, now that GC
# is idle, so that a dropped piece is filled before the backing device is
# suspended (a miss there would wait until resume).
check "the range read last reads back again" vf $DEV 61 587202560 16777216
sleep 2
check "the range read last is cached (backing suspended)" sh -c \
	"dmsetup suspend back && timeout 60 pcpat verify $DEV 61 587202560 16777216"
dmsetup resume back
check "earlier data still reads back" vf $DEV 61 0 8388608
check "written data still reads back" vf $DEV 63 33554432 19660800

# 5. fresh fills, then a power cut: readcut2 replays them
check "read miss 4 MiB at 900 MiB" vf $DEV 61 943718400 4194304
sleep 2
echo "status before cut: $(status)"
echo "PCT-CUT"
sleep 1000
