# The udev rule of pcache (udev/61-pcache.rules) run by a real
# systemd-udevd after 60-persistent-storage.rules: a backing device's
# filesystem loses its /dev/disk/by-uuid link and identity while a
# pcachetab entry or a live device names it, a partition of a whole-disk
# backing device too, and a device that is no backing device keeps its
# link (the control that makes the other checks able to fail). Then a
# pcachetab entry that names its backing device by PARTUUID= activates.
U=/bin/systemd-udevd
T=/etc/pcachetab
PUUID=5043a11e-0000-4000-8000-000000000001
prop() {	# prop DEV KEY: a property of DEV in udev's database
	udevadm info --query=property --name="$1" | sed -n "s/^$2=//p"
}
change() { udevadm trigger --action=change --settle "$@" && udevadm settle; }
fs_uuid() { blkid "$1" | sed -n 's/.* UUID="\([^"]*\)".*/\1/p'; }
fs_is() {	# fs_is DEV UUID: DEV carries the filesystem UUID (not empty)
	[ -n "$2" ] && [ "$(fs_uuid "$1")" = "$2" ] && return 0
	echo "$1: filesystem UUID '$(fs_uuid "$1")', want '$2'"
	return 1
}
link_is() {	# link_is UUID DEV: /dev/disk/by-uuid/UUID points to DEV
	got=$(readlink "/dev/disk/by-uuid/$1")
	[ "$got" = "../../${2#/dev/}" ] && return 0
	echo "by-uuid/$1 -> '${got:-none}', want ../../${2#/dev/}"
	return 1
}
no_link() {
	[ ! -e "/dev/disk/by-uuid/$1" ] && return 0
	echo "by-uuid/$1 -> $(readlink "/dev/disk/by-uuid/$1"), want none"
	return 1
}
links() {	# links DEV: its links but the by-uuid ones, one a line, sorted
	udevadm info --query=symlink --name="$1" | tr ' ' '\n' |
		grep -v '^disk/by-uuid/' | grep . | sort
}
same_links() {	# same_links DEV BEFORE: DEV kept every other link
	now=$(links "$1")
	[ -n "$2" ] && [ "$now" = "$2" ] && return 0
	echo "$1: links '$(echo $now)', want '$(echo $2)'"
	return 1
}
hidden_as() {	# hidden_as DEV NAME: the rule took the filesystem identity
	p="$(prop "$1" PCACHE_BACKING_OF) $(prop "$1" ID_FS_TYPE) [$(prop "$1" ID_FS_UUID)]"
	[ "$p" = "$2 pcache_backing []" ] && return 0
	echo "$1: PCACHE_BACKING_OF ID_FS_TYPE [ID_FS_UUID]: $p"
	return 1
}

if [ ! -x $U ] || [ ! -f /etc/udev/rules.d/61-pcache.rules ]; then
	notok "systemd-udevd and the rules are in the initramfs"
	return 0 2>/dev/null || exit 0
fi
mkdir -p /run/udev
rm -f $T
check "systemd-udevd starts" $U --daemon --resolve-names=never
udevadm trigger --action=add --subsystem-match=block --settle
udevadm settle

# 1. a filesystem on the whole backing disk, written through the cache
check "create --format pc0 on the whole disk /dev/vda" \
	pcache create -q --format pc0 /dev/pmem0 /dev/vda
check "mke2fs on /dev/mapper/pc0" mke2fs -q /dev/mapper/pc0
U1=$(fs_uuid /dev/mapper/pc0)
check "remove drains the filesystem to /dev/vda" pcache remove -q pc0
check "the backing disk has the cached device's filesystem" fs_is /dev/vda "$U1"
change /dev/vda
check "no pcachetab, no live device: by-uuid link to /dev/vda" link_is "$U1" /dev/vda
check "... and its filesystem identity" [ "$(prop /dev/vda ID_FS_TYPE)" = ext2 ]
L1=$(links /dev/vda)
printf 'pc0\t/dev/pmem0\t/dev/vda\n' >$T
change /dev/vda
check "listed in pcachetab: the by-uuid link is gone" no_link "$U1"
check "... ID_FS_TYPE pcache_backing, no ID_FS_UUID" hidden_as /dev/vda pc0
check "... every other link of /dev/vda stays" same_links /dev/vda "$L1"
rm -f $T
change /dev/vda
check "entry gone: the link is back" link_is "$U1" /dev/vda
check "pcache create (no pcachetab)" pcache create -q pc0 /dev/pmem0 /dev/vda
change /dev/vda
check "used by a live device: the link is gone" no_link "$U1"
check "... hidden as the backing device of pc0" hidden_as /dev/vda pc0

# 2. a partition table on the cached device: its partitions on the backing
# disk are hidden with the disk
dd if=/dev/zero of=/dev/mapper/pc0 bs=1M count=1 2>/dev/null
sfdisk -q --wipe always --no-reread --no-tell-kernel /dev/mapper/pc0 <<EOF >/dev/null
label: gpt
start=2048, size=131072, uuid=$PUUID
EOF
check "sfdisk writes a GPT on /dev/mapper/pc0" [ $? = 0 ]
dmsetup create p1 --table "0 131072 linear /dev/mapper/pc0 2048"
check "mke2fs on partition 1 of pc0" mke2fs -q /dev/mapper/p1
U2=$(fs_uuid /dev/mapper/p1)
dmsetup remove p1
check "remove drains" pcache remove -q pc0
check "the kernel reads the backing disk's partition table" \
	blockdev --rereadpt /dev/vda
udevadm settle
check "/dev/vda1 has the partition's filesystem" fs_is /dev/vda1 "$U2"
check "no pcachetab: by-uuid link to /dev/vda1" link_is "$U2" /dev/vda1
check "... and a by-partuuid link" \
	[ "$(readlink /dev/disk/by-partuuid/$PUUID)" = ../../vda1 ]
L2=$(links /dev/vda1)
printf 'pc0\t/dev/pmem0\t/dev/vda\n' >$T
change /dev/vda /dev/vda1
check "the whole disk listed: its partition loses the by-uuid link" no_link "$U2"
check "... hidden as a partition of pc0's backing disk" hidden_as /dev/vda1 pc0
check "... the by-partuuid link and the others stay" same_links /dev/vda1 "$L2"
check "is-backing says why" sh -c "pcache is-backing /dev/vda1 |
	grep -qx '/dev/vda1: backing device of pc0 (a partition of its backing disk)'"

# 3. a partition named by PARTUUID= (upper case, as some tools print it)
P=$(echo $PUUID | tr a-f A-F)
printf 'pp\t/dev/pmem0\tPARTUUID=%s\n' "$P" >$T
change /dev/vda /dev/vda1
check "PARTUUID= entry: /dev/vda1 is hidden" hidden_as /dev/vda1 pp
check "... the whole disk is not" [ "$(prop /dev/vda PCACHE_BACKING_OF)" = "" ]
check "... and keeps its by-partuuid link" \
	[ "$(readlink /dev/disk/by-partuuid/$PUUID)" = ../../vda1 ]
# a new cache for the partition: a lost superblock alone is refused
dd if=/dev/zero of=/dev/pmem0 bs=1M count=1 conv=fsync 2>/dev/null
pcache create -q --format --force pp /dev/pmem0 /dev/vda1 2>/tmp/err
check "create --format refuses a lost superblock over a cache's segments" \
	grep -q "refusing (pcache-format --force --discard-dirty overrides)" /tmp/err
dd if=/dev/zero of=/dev/pmem0 bs=1M conv=fsync 2>/dev/null
check "create --format pp on /dev/vda1 (a zeroed cache device)" \
	pcache create -q --format pp /dev/pmem0 /dev/vda1
check "write 1 MiB to pp" pcpat write /dev/mapper/pp 7 4194304 1048576 65536
check "remove --no-wait pp (the data stays on the cache)" pcache remove -q --no-wait pp
check "activate --all finds the backing device by PARTUUID=" pcache activate -q --all
check "pp's backing device is /dev/vda1" \
	[ "$(pcache status --json pp | jq -r '.devices[0].backing_dev')" = "$(cat /sys/class/block/vda1/dev)" ]
check "the data reads back" pcpat verify /dev/mapper/pp 7 4194304 1048576
check "deactivate --all drains" pcache deactivate -q --all
check "the partition holds the data" pcpat verify /dev/vda1 7 4194304 1048576
udevadm control --exit
