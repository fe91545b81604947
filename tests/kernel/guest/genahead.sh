# A key ahead of its segment's generation (C48: a generation record lost),
# prepared by the host (kernel.tap.sh): our module must serve its dirty
# data from the cache, as upstream's does, before writeback has written it.
# The backing device's writes are held back for a minute by dm-delay, so
# a read that misses the cache finds the backing device's zeros.
. /scen/genahead.env
for m in $(cat /lib/dmdelay/order 2>/dev/null); do
	insmod /lib/dmdelay/$m 2>/dev/null
done
if dmsetup create slow --table \
	"0 $SECTORS delay /dev/vda 0 0 /dev/vda 0 60000"; then
	ok "backing device with its writes delayed (dm-delay)"
else
	notok "backing device with its writes delayed (dm-delay)"
fi
BACK=/dev/mapper/slow
check "the module activates the cache" mkcache false
s=$(dd if=$DEV bs=4096 skip="$GA_OFF" count="$GA_LEN" \
	iflag=skip_bytes,count_bytes 2>/dev/null | sha256sum)
s=${s%% *}
if [ "$s" = "$GA_SUM" ]; then
	ok "the key's range reads the cached data before writeback"
else
	notok "the key's range reads the cached data before writeback"
	echo "got $s, want $GA_SUM (zeros: $GA_ZERO)"
fi
# no remove: it would wait for the delayed writeback
