# pcache end to end on a live device: refusals that change nothing, create
# with --format, the JSON of status and list, set, holders, the drain on
# remove, --no-wait, wait --clean, a stalled writeback (dm-error backing);
# then dirty data and a power cut, which pcachetab.sh activates from a
# pcachetab. The backing device is a linear mapping of /dev/vda so that it
# can be suspended (writeback held back) or swapped for dm-error.
dmsetup create back --table "0 $SECTORS linear /dev/vda 0"
B=/dev/mapper/back
J=/tmp/s.json
E=/tmp/err
jqs() { pcache status --json pc0 >$J && jq -r "$1" $J; }
head_sum() { dd if="$1" bs=1M count=64 2>/dev/null | sha256sum | cut -d' ' -f1; }
sums() { blockdev --flushbufs /dev/pmem0; echo "$(head_sum /dev/pmem0) $(head_sum /dev/vda)"; }
rc_is() {	# rc_is CODE command...: exit status CODE, stderr in $E
	want=$1; shift
	"$@" 2>$E; got=$?
	[ "$got" = "$want" ] && return 0
	echo "exit $got, want $want: $(cat $E)"
	return 1
}
err_has() { grep -q -- "$1" $E || { echo "stderr: $(cat $E)"; return 1; }; }
dirty() { [ "$(jqs '.devices[0].writeback_idle')" = false ]; }
swap_back() {	# swap_back TABLE: a new table for the backing device
	dmsetup suspend back && dmsetup load back --table "$1" &&
		dmsetup resume back
}

# 1. a zeroed cache device: the kernel would format it silently
s0=$(sums)
check "create refuses a zeroed cache device without --format (1)" \
	rc_is 1 pcache create pc0 /dev/pmem0 $B
check "the refusal says why" err_has "no dm-pcache superblock; the kernel would format"
check "both devices unchanged, no device created" \
	sh -c "[ '$(sums)' = '$s0' ] && ! dmsetup info pc0 >/dev/null 2>&1"
check "create --format" pcache create --format pc0 /dev/pmem0 $B
check "device-mapper UUID PCACHE-pc0" \
	[ "$(dmsetup info -c --noheadings -o uuid pc0)" = PCACHE-pc0 ]
check "the table has data_crc false (printed by the kernel as crc)" \
	sh -c "dmsetup table pc0 | grep -q ' 4 cache_mode writeback crc false$'"
check "status --json: name, uuid, sectors, segments, gc, flags, idle" \
	[ "$(jqs '.devices[0] | "\(.name) \(.uuid) \(.sectors) \(.seg_total) \(.cache_segs) \(.segs_used) \(.gc_percent) \(.gc_threshold_segs) \(.data_crc) \(.init_done) \(.cache_mode) \(.writeback_idle)"')" = \
	  "pc0 PCACHE-pc0 $SECTORS 63 63 1 70 44 false true writeback true" ]
check "status --json: the devices in the table" \
	[ "$(jqs '.devices[0] | "\(.cache_dev) \(.backing_dev)"')" = \
	  "$(cat /sys/block/pmem0/dev) $(dmsetup info -c --noheadings -o major,minor back)" ]
check "list --json has pc0 only" \
	[ "$(pcache list --json | jq -r '[.devices[].name] | join(",")')" = pc0 ]
check "list" sh -c "pcache list | grep -q '^pc0 .* clean$'"
check "a second device on the busy cache device is refused" \
	rc_is 1 pcache create pc1 /dev/pmem0 /dev/vda
check "the same name again is refused" rc_is 1 pcache create pc0 /dev/pmem0 $B
check "is-backing: the live device's backing device" \
	[ "$(pcache is-backing --export $B)" = PCACHE_BACKING_OF=pc0 ]
check "is-backing: not the cache device (1)" rc_is 1 pcache is-backing /dev/pmem0

# a mounted device (ext4 comes as extra modules in /lib/fs)
for m in $(cat /lib/fs/order 2>/dev/null); do insmod /lib/fs/$m 2>/dev/null; done
mkdir -p /mnt
if mke2fs -q /dev/mapper/pc0 >/dev/null 2>&1 && mount -t ext4 /dev/mapper/pc0 /mnt; then
	check "remove refuses a mounted device (1)" rc_is 1 pcache remove pc0
	check "... naming the mount point" err_has "pc0: in use (mounted on /mnt); refusing"
	umount /mnt
else
	notok "mount an ext2 filesystem on pc0 for the mounted-device refusal"
fi

# 2. set: the bound is checked first, the value read back
check "set --gc-percent 95 is refused (16)" rc_is 16 pcache set pc0 --gc-percent 95
check "gc_percent unchanged after the refusal" [ "$(jqs '.devices[0].gc_percent')" = 70 ]
check "set --gc-percent 50" pcache set pc0 --gc-percent 50
check "gc_percent 50 in the status" \
	[ "$(jqs '.devices[0] | "\(.gc_percent) \(.cache_flags)"')" = "50 3202" ]

# 3. an open device is not removed; the holder is named
dmsetup create hold --table "0 8 linear /dev/mapper/pc0 0"
check "remove refuses a device held by another device (1)" rc_is 1 pcache remove pc0
check "the holder is named" err_has "pc0: in use (held by device hold); refusing"
dmsetup remove hold
sleep 60 </dev/mapper/pc0 &
sp=$!
sleep 0.5
check "remove refuses a device a process holds open" rc_is 1 pcache remove pc0
check "... saying so" err_has "in use (open 1 time(s) by a process)"
kill $sp; wait $sp 2>/dev/null
check "the device is still there" dmsetup info pc0

# 4. remove drains: nothing is left only on the cache device
check "write 4 MiB" wr 1 0 4194304 65536
dmsetup suspend back
check "write 2 MiB with writeback held back" wr 2 8388608 2097152 65536
pcache status --detail --json pc0 >$J
check "status --detail replays the live cache device read-only" \
	[ "$(jq -r '.devices[0].detail.error // "none"' $J)" = none ]
check "detail: dirty bytes >= the 2 MiB held back" \
	[ "$(jq -r '.devices[0].detail.dirty_bytes >= 2097152' $J)" = true ]
check "detail: the walked dirty log covers the status line's lower bound" \
	[ "$(jq -r '.devices[0] | .detail.dirty_log_segs >= 1 and .detail.dirty_log_bytes >= .dirty_log_bytes_min' $J)" = true ]
check "status says writeback is busy" dirty
check "remove --timeout 3 with writeback held back fails (1)" \
	rc_is 1 pcache remove --timeout 3 pc0
check "... and leaves the device in place" dmsetup info pc0
(sleep 3; dmsetup resume back) &
check "remove drains, then removes" pcache remove pc0
wait
check "the backing device holds range 1" vf /dev/vda 1 0 4194304
check "the backing device holds range 2" vf /dev/vda 2 8388608 2097152

# 5. --no-wait: the dirty data stays on the cache device. The backing
# device fails meanwhile, so that no writeback (at teardown either) writes
# it back: remove reports what the cache device holds after the removal.
check "create on the existing cache, gc_percent 60" pcache create --gc-percent 60 pc0 /dev/pmem0 $B
check "gc_percent 60 after create" [ "$(jqs '.devices[0].gc_percent')" = 60 ]
check "the backing device fails (dm-error) for --no-wait" swap_back "0 $SECTORS error"
check "write 1 MiB with writeback failing" wr 3 16777216 1048576 65536
check "remove --no-wait" rc_is 0 pcache remove --no-wait pc0
check "... says how much dirty data stays on the cache device" \
	err_has "bytes) of dirty data stays on cache device"
check "the backing device works again after --no-wait" swap_back "0 $SECTORS linear /dev/vda 0"

# 6. data_crc mismatch and a damaged cache: refused, nothing changed
s0=$(sums)
check "create --data-crc on a data_crc false cache is refused" \
	rc_is 1 pcache create --data-crc pc0 /dev/pmem0 $B
check "... naming the mismatch" err_has "(PC-INFO-DATA-CRC); leave out --data-crc"
dd if=/dev/pmem0 of=/tmp/sb.save bs=4096 skip=1 count=1 2>/dev/null
printf '\177' | dd of=/dev/pmem0 bs=1 seek=4116 conv=notrunc 2>/dev/null
blockdev --flushbufs /dev/pmem0
s1=$(sums)
check "create refuses a damaged superblock with its finding code" \
	rc_is 1 pcache create pc0 /dev/pmem0 $B
check "... PC-SB-CRC" err_has "PC-SB-CRC (reject)"
check "devices unchanged by the refusals" [ "$(sums)" = "$s1" ]
dd if=/tmp/sb.save of=/dev/pmem0 bs=4096 seek=1 conv=notrunc,fsync 2>/dev/null
blockdev --flushbufs /dev/pmem0
check "restored: the cache is the one before the damage" [ "$(sums)" = "$s0" ]

# 7. replay of range 3, wait --clean
check "create replays the cache" pcache create pc0 /dev/pmem0 $B
check "range 3 reads back" vf $DEV 3 16777216 1048576
check "wait --clean" pcache wait pc0 --clean --timeout 300
check "range 3 is on the backing device" vf /dev/vda 3 16777216 1048576

# 8. a failing backing device: the writeback stalls, --watch says so
check "the backing device fails (dm-error)" swap_back "0 $SECTORS error"
check "write 1 MiB: writeback cannot write it back" wr 4 20971520 1048576 65536
timeout 25 pcache status --watch 1 pc0 >/tmp/w.txt 2>$E
check "--watch warns of the stalled writeback" err_has "pc0: writeback stalled: dirty_tail"
check "--watch marks the samples STALLED" grep -q " STALLED$" /tmp/w.txt
check "the backing device works again" swap_back "0 $SECTORS linear /dev/vda 0"

# 9. dirty data, then a power cut
dmsetup suspend back
check "write 2 MiB (fsync) with writeback held back" wr 5 33554432 2097152 65536
check "dirty data at the cut" dirty
check "range 4 reads back" vf $DEV 4 20971520 1048576
echo "status before cut: $(status)"
echo "PCT-CUT"
sleep 1000
