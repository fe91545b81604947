# Before pcsysd.sh: a cache with dirty data at a power cut (the backing
# device, a linear map of /dev/vda, is suspended so writeback holds back).
dmsetup create back --table "0 $SECTORS linear /dev/vda 0"
check "create --format pc0" \
	pcache create -q --format pc0 /dev/pmem0 /dev/mapper/back
check "write 4 MiB" wr 1 0 4194304 65536
dmsetup suspend back
check "write 2 MiB (fsync) with writeback held back" wr 2 8388608 2097152 65536
check "dirty data at the cut" sh -c \
	"pcache status --json pc0 | jq -e '.devices[0].writeback_idle == false' >/dev/null"
echo "PCT-CUT"
sleep 1000
