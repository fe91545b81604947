# Mutated cache images (tests/kernel/mutations.sh drives this from the host).
# The host writes each image straight into the pmem region (guest RAM backed
# by a host file) and resets the backing disk, then sends on the control
# port /dev/ttyS1 "go ID DATA_CRC OFF+LEN,..."; for each, this activates the
# image with our module (bounded by a timeout), reads the given ranges back
# through the target, removes it, and answers on the same port:
#   res ID create=RC remove=RC oops=0|1 sums=SHA,... status=... msg=...
# "done" (or end of input) ends the scenario.
CTL=/dev/ttyS1
stty -F $CTL raw -echo 2>/dev/null
exec 3<>$CTL
MSECT=$(blockdev --getsz /dev/vda)

# Few processes per image: each costs tens of milliseconds under TCG. A
# hang is bounded by the timeouts here and by the host's wait for "res".
mut_case() {	# mut_case ID DATA_CRC RANGES
	mid=$1
	dmesg -c >/dev/null
	rm_rc=-
	sums=-
	st=-
	# A constructor, read or destructor stuck in the kernel outlives
	# timeout(1): after 50 s on one image the console gets the blocked
	# tasks and every CPU's stack (sysrq w and l) behind a marker line, so
	# the host's log shows where it hangs.
	rm -f /tmp/mut-wd
	( sleep 50
	  echo "mutate-watchdog: image $mid: create, reads or remove still running"
	  : >/tmp/mut-wd
	  echo 7 >/proc/sys/kernel/printk
	  echo w >/proc/sysrq-trigger
	  echo l >/proc/sysrq-trigger ) &
	wd=$!
	timeout 60 dmsetup create mut --table \
		"0 $MSECT pcache /dev/pmem0 /dev/vda 4 cache_mode writeback data_crc $2" \
		>/dev/null 2>&1
	c_rc=$?
	if [ $c_rc = 0 ]; then
		st=$(dmsetup status mut | tr ' ' _)
		blockdev --flushbufs /dev/mapper/mut
		sums=
		IFS=,
		for r in $3; do
			s=$(dd if=/dev/mapper/mut bs=1M skip="${r%+*}" count="${r#*+}" \
				iflag=skip_bytes,count_bytes 2>/dev/null | sha256sum)
			sums=$sums${sums:+,}${s%% *}
		done
		unset IFS
		timeout 60 dmsetup remove mut >/dev/null 2>&1
		rm_rc=$?
	fi
	kill $wd 2>/dev/null
	log=$(dmesg)
	oops=0
	case $log in
	*BUG:* | *WARNING:* | *Oops* | *"general protection"*) oops=1 ;;
	*"Call Trace"*) [ -e /tmp/mut-wd ] || oops=1 ;;	# (or the watchdog's dump)
	esac
	msg=-
	while read -r line; do
		case $line in
		*pcache:*) msg=${line#*pcache: }; break ;;
		esac
	done <<EOT
$log
EOT
	set -f			# the message as one word: blanks become _
	set -- $msg
	IFS=_
	msg="$*"
	unset IFS
	set +f
	echo "res $mid create=$c_rc remove=$rm_rc oops=$oops sums=$sums status=$st msg=$msg" >&3
}

echo "ready" >&3
while :; do
	if ! read -r cmd id crc ranges <&3; then
		notok "mutate: the control port closed before 'done'"
		break
	fi
	case $cmd in
	go) mut_case "$id" "$crc" "$ranges" ;;
	done) break ;;
	*) echo "mutate: ignored on the control port: '$cmd $id'" ;;
	esac
done
dmsetup remove mut 2>/dev/null
ok "mutate: control port closed by the host"
