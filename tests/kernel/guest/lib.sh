# Helpers shared by the guest scenarios (busybox sh).
DEV=/dev/mapper/pc0
SECTORS=$(blockdev --getsz /dev/vda)

ok() { echo "PCT: ok - $*"; }
notok() { echo "PCT: not ok - $*"; }
check() {	# check "text" command...
	t=$1; shift
	if "$@"; then ok "$t"; else notok "$t"; fi
}

BACK=/dev/vda

mkcache() {	# mkcache data_crc(true|false)
	dmsetup create pc0 --table \
		"0 $SECTORS pcache /dev/pmem0 $BACK 4 cache_mode writeback data_crc $1"
}

status() { dmsetup status pc0; }

# Fields of the status line after "<start> <len> pcache".
sfield() { status | awk -v n="$1" '{ print $(n + 3) }'; }

status_is() {
	s=$(status)
	[ "$s" = "$1" ] && return 0
	echo "status: got '$s' want '$1'"
	return 1
}

# Wait until dirty_tail == key_head (everything written back).
wait_clean() {
	i=0
	while [ "$(sfield 7)" != "$(sfield 8)" ]; do
		i=$((i + 1))
		[ $i -gt ${1:-600} ] && { echo "not clean: $(status)"; return 1; }
		sleep 0.5
	done
	return 0
}

wr() { pcpat write $DEV "$@"; }
vf() { pcpat verify "$@"; }

range_sha() {	# range_sha DEV OFF LEN
	dd if="$1" bs=512 skip=$(($2 / 512)) count=$(($3 / 512)) 2>/dev/null |
		sha256sum | cut -d' ' -f1
}

fails() { ! "$@" 2>/dev/null; }

is_zero() {	# is_zero DEV MIB: the first MIB MiB of DEV are zero
	a=$(dd if="$1" bs=1M count="$2" 2>/dev/null | sha256sum)
	b=$(dd if=/dev/zero bs=1M count="$2" 2>/dev/null | sha256sum)
	[ "$a" = "$b" ]
}
