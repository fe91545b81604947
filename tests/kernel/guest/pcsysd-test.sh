# Run by pct-test.service under systemd (pcsysd.sh) after
# local-fs-pre.target: the pcache-pc0 unit activated the cache that
# pcsysd0.sh left dirty at a power cut, the filesystem's by-uuid link is
# pc0's and not the backing device's, the nofail entry whose device never
# appears only failed its own unit, stopping the unit drains.
exec >/dev/ttyS0 2>&1
. /scen/lib.sh
unit_is() {	# unit_is UNIT STATE: systemctl's ActiveState
	s=$(systemctl show -P ActiveState "$1")
	[ "$s" = "$2" ] && return 0
	echo "$1: $s, want $2"
	systemctl status --no-pager "$1" 2>&1 | tail -n 8
	return 1
}
no_link() {
	[ ! -e "/dev/disk/by-uuid/$1" ] && return 0
	echo "by-uuid/$1 -> $(readlink "/dev/disk/by-uuid/$1"), want none"
	return 1
}
echo "PCT-START pcsysd-test"
check "pcache-generator wrote pcache-pc0.service" \
	[ -f /run/systemd/generator/pcache-pc0.service ]
check "local-fs-pre.target was reached" unit_is local-fs-pre.target active
check "pcache-pc0.service is active" unit_is pcache-pc0.service active
check "it is bound to both devices" \
	[ "$(systemctl show -P BindsTo pcache-pc0.service | tr ' ' '\n' | sort | tr '\n' ' ')" = "dev-pmem0.device dev-vda.device " ]
check "pc0 is live, UUID PCACHE-pc0, gc_percent 30 from pcachetab" \
	[ "$(pcache status --json pc0 | jq -r '.devices[0] | "\(.uuid) \(.gc_percent)"')" = "PCACHE-pc0 30" ]
check "range 1 reads back" vf $DEV 1 33554432 4194304
check "range 2 (dirty at the cut) reads back" vf $DEV 2 41943040 2097152
U=$(blkid /dev/vda | sed -n 's/.* UUID="\([^"]*\)".*/\1/p')
check "the backing device has pc0's filesystem" \
	sh -c "[ -n '$U' ] && blkid $DEV | grep -q 'UUID=\"$U\"'"
check "its /dev/disk/by-uuid link is pc0, not the backing device" \
	[ "$(readlink -f /dev/disk/by-uuid/$U)" = "$(readlink -f $DEV)" ]
check "udev hid the backing device" \
	[ "$(udevadm info -q property -n /dev/vda | grep -E '^(ID_FS_TYPE|PCACHE_BACKING_OF)=' | sort | tr '\n' ' ')" = "ID_FS_TYPE=pcache_backing PCACHE_BACKING_OF=pc0 " ]
check "udev made pc0's by-id link from its UUID (device-mapper's rules)" \
	[ "$(readlink -f /dev/disk/by-id/dm-uuid-PCACHE-pc0)" = "$(readlink -f $DEV)" ]
check "nofail entry whose devices never appear: not active, the boot went on" \
	unit_is pcache-gone.service inactive
check "... its devices waited for x-systemd.device-timeout=5s" \
	[ "$(systemctl show -P JobRunningTimeoutUSec dev-pmem7.device)" = 5s ]
check "noauto entry: not started" unit_is pcache-later.service inactive
check "systemctl stop pcache-pc0.service (ExecStop drains)" \
	systemctl stop pcache-pc0.service
check "pc0 is gone" fails dmsetup info pc0
udevadm settle
check "... and the by-uuid link with it: the backing device does not claim it" \
	no_link "$U"
check "the backing device holds range 1" vf /dev/vda 1 33554432 4194304
check "the backing device holds range 2" vf /dev/vda 2 41943040 2097152
echo "PCT-DONE"
sync
poweroff -f
