# Before pcsysd.sh: a cache with a filesystem (written back) and dirty data
# at a power cut (the backing device, a linear map of /dev/vda, is
# suspended so writeback holds back).
dmsetup create back --table "0 $SECTORS linear /dev/vda 0"
check "create --format pc0" \
	pcache create -q --format pc0 /dev/pmem0 /dev/mapper/back
check "a 16 MiB ext2 filesystem on pc0" mke2fs -q /dev/mapper/pc0 16384
check "write 4 MiB after it" wr 1 33554432 4194304 65536
check "wait --clean: the filesystem is on the backing device" \
	pcache wait pc0 --clean --timeout 300
dmsetup suspend back
check "write 2 MiB (fsync) with writeback held back" wr 2 41943040 2097152 65536
check "dirty data at the cut" sh -c \
	"pcache status --json pc0 | jq -e '.devices[0].writeback_idle == false' >/dev/null"
echo "PCT-CUT"
sleep 1000
