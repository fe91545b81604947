#!/bin/sh
# Kernel tests for our dm-pcache target (TAP output).
#
# Builds kernel/ against Debian's kernel headers, then boots Debian's kernel
# under qemu (TCG, see vm.sh) with the module, a pmem region backed by a host
# file and a virtio-blk backing disk, and runs the guest scenarios of
# tests/kernel/guest/. Killing qemu is the power cut.
#
# Environment: PCT_WORK (scratch dir, default under /tmp), PCT_KEEP=1 keeps
# it, PCACHE_FIXTURES (default /work/shared/fixtures).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
FIX=${PCACHE_FIXTURES:-$top/../shared/fixtures}
W=${PCT_WORK:-$(mktemp -d /tmp/pcache-kernel-test.XXXXXX)}
mkdir -p "$W"
n=0
failed=0
t0=$(date +%s)

tap() {		# tap ok|notok|todo text ("todo": a known failure, text ends "# REASON")
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - $2"
	elif [ "$1" = todo ]; then
		echo "not ok $n - ${2%%# *}# TODO ${2#*# }"
	else
		echo "not ok $n - $2"
		failed=1
	fi
}

finish() {
	echo "# kernel tests took $(($(date +%s) - t0)) s"
	echo "1..$n"
	[ "${PCT_KEEP:-0}" = 1 ] || rm -rf "$W"
	exit $failed
}

bail() {
	tap notok "$1"
	[ -n "${2:-}" ] && [ -f "$2" ] && tail -n 30 "$2" | sed 's/^/# /'
	finish
}

"$top/tools/install-deps.sh" kernel >"$W/deps.log" 2>&1 ||
	bail "install kernel test dependencies" "$W/deps.log"

. "$here/vm.sh"
vm_find_kernel || bail "$VM_ERR"
vm_build_module || bail "$VM_ERR" "$VM_LOG"
if grep -q "warning:" "$W/build.log"; then
	tap notok "module builds against $KVER headers without warnings"
else
	tap ok "module builds against $KVER headers without warnings"
fi
vm_build_tools || bail "$VM_ERR"
# pcache-bench (when built) and jq for the live-device benchmark scenario,
# pcache for the pcache scenario.
vm_initramfs "$top/build/pcache-bench" "$(command -v jq)" "$top/build/pcache" ||
	bail "$VM_ERR"

# fsck_after NAME BACKING [MIB]: our offline checker must find nothing
# wrong with what the module left on the cache device (when it is built).
FSCK=$top/build/pcache-fsck
fsck_after() {
	[ -x "$FSCK" ] || return 0
	ram_pmem "${3:-1024}" >"$W/after.pmem"
	if "$FSCK" -n --backing "$2" "$W/after.pmem" >"$W/fsck.log" 2>&1; then
		tap ok "$1: pcache-fsck finds the cache device consistent"
	else
		tap notok "$1: pcache-fsck finds the cache device consistent"
		sed 's/^/# /' "$W/fsck.log" | tail -n 20
	fi
	rm -f "$W/after.pmem"
}

# run_vm NAME BACKING MEMMAP TIMEOUT [cut]
run_vm() {
	vm_boot "$@"
	tr -d '\r' <"$log" | sed -n 's/^PCT: \(ok\|not ok\) - \(.*\)$/\1|\2/p' |
		while IFS='|' read -r r t; do
			if [ "$r" = ok ]; then echo "T ok $name: $t"; else echo "T notok $name: $t"; fi
		done >"$W/$name.res"
	while read -r _ r t; do tap "$r" "$t"; done <"$W/$name.res"
	if [ -n "$cut" ]; then
		grep -q PCT-CUT "$log" && tap ok "$name: guest reached the power cut" ||
			tap notok "$name: guest reached the power cut"
	else
		grep -q PCT-DONE "$log" && tap ok "$name: guest finished" ||
			tap notok "$name: guest finished"
	fi
	if grep -Eq 'BUG:|WARNING:|Oops|Call Trace|general protection' "$log"; then
		tap notok "$name: no kernel BUG/WARNING/oops"
	else
		tap ok "$name: no kernel BUG/WARNING/oops"
	fi
	if grep -q "not ok\|PCT-TIMEOUT" "$W/$name.res" "$log" ||
	   ! grep -q "PCT-DONE\|PCT-CUT" "$log"; then
		tr -d '\r' <"$log" | grep -v '^PCT: ok' | tail -n 40 | sed 's/^/# /'
	fi
}

want() {	# PCT_ONLY="format data ..." restricts the run (for development)
	[ -z "${PCT_ONLY:-}" ] || echo " $PCT_ONLY " | grep -q " $1 "
}

unzst() {	# unzst NAME: decompress a fixture into the scratch dir
	[ -f "$W/$1" ] || zstd -qdc "$FIX/$1.zst" >"$W/$1"
}

# 1. kernel format of a zeroed device, byte-identical to upstream's
if want format; then
ram_zero
truncate -s 256M "$W/back.img"
run_vm format "$W/back.img" '1G!1G' 240
if [ -f "$FIX/kfresh.pmem.zst" ]; then
	unzst kfresh.pmem
	if ram_pmem | cmp -s - "$W/kfresh.pmem"; then
		tap ok "format: the device is byte-identical to upstream's kfresh"
	else
		tap notok "format: the device is byte-identical to upstream's kfresh"
		ram_pmem | cmp - "$W/kfresh.pmem" | head -3 | sed 's/^/# /'
	fi
fi
fi

# 2. data path, writeback, power cut with dirty data, replay
if want data; then
	run_vm data "$W/back.img" '1G!1G' 400 cut
	run_vm replay "$W/back.img" '1G!1G' 400
	fsck_after replay "$W/back.img"
fi

# 3. a cache device prepared by our formatter (when it has been built)
PFMT=$top/build/pcache-format
if want pformat && [ -x "$PFMT" ]; then
	rm -f "$W/pf.img"
	truncate -s 1G "$W/pf.img"
	if "$PFMT" -q -c -g 50 "$W/pf.img" >"$W/pf.log" 2>&1; then
		tap ok "pcache-format: format a 1 GiB image (data_crc, gc 50)"
		ram_load "$W/pf.img"
		rm -f "$W/pf.img" "$W/back.img"
		truncate -s 256M "$W/back.img"
		run_vm pformat "$W/back.img" '1G!1G' 300
		fsck_after pformat "$W/back.img"
	else
		tap notok "pcache-format: format a 1 GiB image (data_crc, gc 50)"
		sed 's/^/# /' "$W/pf.log"
	fi
fi

# 3b. the same with a lazy format: the module initialises the segments
if want plazy && [ -x "$PFMT" ]; then
	rm -f "$W/pf.img"
	truncate -s 1G "$W/pf.img"
	if "$PFMT" -q --lazy -c -g 50 "$W/pf.img" >"$W/pf.log" 2>&1; then
		tap ok "pcache-format --lazy: format a 1 GiB image (data_crc, gc 50)"
		ram_load "$W/pf.img"
		rm -f "$W/pf.img" "$W/back.img"
		truncate -s 256M "$W/back.img"
		run_vm plazy "$W/back.img" '1G!1G' 300
		fsck_after plazy "$W/back.img"
	else
		tap notok "pcache-format --lazy: format a 1 GiB image (data_crc, gc 50)"
		sed 's/^/# /' "$W/pf.log"
	fi
fi

# 4. damaged media
if want corrupt; then
	ram_zero
	rm -f "$W/back.img"
	truncate -s 256M "$W/back.img"
	run_vm corrupt "$W/back.img" '1G!1G' 300
fi

# 4b. a key ahead of its segment's generation (C48) is served from the
# cache before writeback (a dirty extent the index ignored read the backing
# device's old data until writeback wrote it)
MUT=$top/build/testtools/pcache-mutate
if want genahead && [ -x "$MUT" ]; then
	G=$W/ga
	mkdir -p "$G" "$W/extra/scen"
	"$MUT" --make-base "$G/base.pmem" >/dev/null &&
		line=$("$MUT" "$G/base.pmem" "$G/m.pmem" key-gen-ahead 1) ||
		bail "genahead: pcache-mutate key-gen-ahead"
	# "... off:OFF->OFF len:LEN->LEN ...": the forged key's range
	off=$(echo "$line" | sed -n 's/.* off:\([0-9]*\)->.*/\1/p')
	len=$(echo "$line" | sed -n 's/.* len:\([0-9]*\)->.*/\1/p')
	truncate -s 256M "$G/zero.img"
	sum=$("$top/build/pcache-dump" --backing "$G/zero.img" --extract "$off" \
		"$len" "$G/base.pmem" | sha256sum | cut -c1-64)
	zsum=$(head -c "$len" /dev/zero | sha256sum | cut -c1-64)
	printf 'GA_OFF=%s\nGA_LEN=%s\nGA_SUM=%s\nGA_ZERO=%s\n' "$off" "$len" \
		"$sum" "$zsum" >"$W/extra/scen/genahead.env"
	echo "# genahead: $line"
	[ "$sum" != "$zsum" ] ||
		tap notok "genahead: the forged key's range holds data (not zeros)"
	ram_zero
	"$MUT" --apply "$G/m.pmem" "$RAM" $((1 << 30)) >/dev/null
	rm -rf "$G" "$W/back.img"
	truncate -s 256M "$W/back.img"
	vm_extra_modules lib/dmdelay dm_delay &&
		vm_initramfs "$top/build/pcache-bench" "$(command -v jq)" \
			"$top/build/pcache" || bail "$VM_ERR"
	run_vm genahead "$W/back.img" '1G!1G' 300
fi

# 5. fixtures written by the upstream kernel
if want fixtures && [ -f "$FIX/kcrc-crash.pmem.zst" ]; then
	for f in kfresh kcrc-clean kcrc-crash; do
		unzst $f.pmem
		unzst $f.backing
		ram_load "$W/$f.pmem"
		rm -f "$W/$f.pmem"
		run_vm $f "$W/$f.backing" '1G!1G' 300
		fsck_after $f "$W/$f.backing"
	done
	want=$(awk '$2 ~ /kcrc-clean.backing$/ { print $1 }' "$FIX/SHA256SUMS")
	got=$(sha256sum "$W/kcrc-crash.backing" | cut -d' ' -f1)
	[ -n "$want" ] && [ "$want" = "$got" ] &&
		tap ok "kcrc-crash: backing after replay + writeback equals kcrc-clean.backing" ||
		tap notok "kcrc-crash: backing after replay + writeback equals kcrc-clean.backing"
fi

# 6. power cut while writes, writeback and GC are busy
if want cutload; then
	ram_zero
	rm -f "$W/back2.img"
	truncate -s 1G "$W/back2.img"
	run_vm cutload "$W/back2.img" '512M!1G' 400 cut
	run_vm cutreplay "$W/back2.img" '512M!1G' 400
	fsck_after cutreplay "$W/back2.img" 512
fi

# 7. overwrite-heavy and larger-than-cache workload on a 512 MiB cache
if want workload; then
	ram_zero
	rm -f "$W/back2.img"
	truncate -s 1G "$W/back2.img"
	run_vm workload "$W/back2.img" '512M!1G' 900
	fsck_after workload "$W/back2.img" 512
fi

# 8. pcache-bench on a live device: status sampling (when it is built)
if want bench && [ -x "$top/build/pcache-bench" ] && command -v jq >/dev/null; then
	ram_zero
	rm -f "$W/back3.img"
	truncate -s 2G "$W/back3.img"
	run_vm bench "$W/back3.img" '1G!1G' 600
	rm -f "$W/back3.img"
fi

# 9. mutated images: pcache-fsck's verdict against the module's (issue 16);
# MUTATIONS=N or all for more images (tests/kernel/mutations.sh)
if want mutate && [ -x "$top/build/testtools/pcache-mutate" ] &&
   [ -f "$FIX/kcrc-crash.pmem.zst" ]; then
	top=$top W=$W FIX=$FIX KVER=$KVER bash "$here/mutations.sh" >"$W/mutate.res" 2>&1
	while IFS="$(printf '\t')" read -r r t; do
		case $r in
		ok | notok | todo) tap "$r" "$t" ;;
		*) echo "$r${t:+ $t}" ;;
		esac
	done <"$W/mutate.res"
fi

# 10. pcache: every subcommand on a live device, a power cut, pcachetab
if want pcache && [ -x "$top/build/pcache" ] && command -v jq >/dev/null; then
	# ext4 for the refusal to remove a mounted device
	vm_extra_modules lib/fs ext4 &&
		vm_initramfs "$top/build/pcache-bench" "$(command -v jq)" \
			"$top/build/pcache" || bail "$VM_ERR"
	ram_zero
	rm -f "$W/back4.img"
	truncate -s 256M "$W/back4.img"
	run_vm pcache "$W/back4.img" '1G!1G' 900 cut
	run_vm pcachetab "$W/back4.img" '1G!1G' 600
	fsck_after pcachetab "$W/back4.img"
	rm -f "$W/back4.img"
fi

# 10b. pcache's udev rule run by systemd-udevd (the host's, with
# 60-persistent-storage.rules) in the guest: backing devices, a partition
# of a whole-disk backing device, a PARTUUID= entry
UDEVD=/lib/systemd/systemd-udevd
if want pcudev && [ -x "$top/build/pcache" ] && command -v jq >/dev/null; then
	r=$W/extra/etc/udev/rules.d
	if [ -x "$UDEVD" ] && command -v udevadm >/dev/null &&
	   command -v sfdisk >/dev/null && command -v blkid >/dev/null &&
	   [ -f /lib/udev/rules.d/60-persistent-storage.rules ]; then
		mkdir -p "$r"
		cp /lib/udev/rules.d/60-persistent-storage.rules "$r/"
		sed 's|@SBINDIR@|/bin|' "$top/udev/61-pcache.rules.in" \
			>"$r/61-pcache.rules"
		# (vm_add_program copies systemd-udevd as a file: udevadm,
		# which runs as the daemon by that name)
		vm_initramfs "$(command -v jq)" "$top/build/pcache" "$UDEVD" \
			"$(command -v udevadm)" "$(command -v sfdisk)" \
			"$(command -v blkid)" || bail "$VM_ERR"
		rm -rf "$W/extra/etc"
		ram_zero	# (a 512 MiB cache: the guest zeroes all of it once)
		rm -f "$W/back5.img"
		truncate -s 256M "$W/back5.img"
		run_vm pcudev "$W/back5.img" '512M!1G' 600
		rm -f "$W/back5.img"
	else
		tap notok "pcudev: systemd-udevd, udevadm, sfdisk, blkid and 60-persistent-storage.rules on the host (tools/install-deps.sh kernel)"
	fi
fi

# 10c. the host's systemd as PID 1 runs pcache-generator's units: a power
# cut with dirty data (pcsysd0), then a boot from /etc/pcachetab
SYSTEMD=/lib/systemd/systemd
if want pcsysd && [ -x "$top/build/pcache" ] && command -v jq >/dev/null; then
	e=$W/extra
	if [ -x "$SYSTEMD" ] && [ -x "$UDEVD" ] && command -v systemctl >/dev/null &&
	   command -v blkid >/dev/null &&
	   [ -f /lib/udev/rules.d/99-systemd.rules ] &&
	   [ -f /lib/udev/rules.d/55-dm.rules ] &&
	   [ -f /lib/systemd/system/local-fs-pre.target ]; then
		mkdir -p "$e/etc/udev/rules.d" "$e/etc/systemd/system" \
			"$e/etc/systemd/system-generators"
		for r in 55-dm.rules 60-persistent-storage.rules \
			 60-persistent-storage-dm.rules 95-dm-notify.rules \
			 99-systemd.rules; do
			[ -f "/lib/udev/rules.d/$r" ] && cp "/lib/udev/rules.d/$r" "$e/etc/udev/rules.d/"
		done
		sed 's|@SBINDIR@|/bin|' "$top/udev/61-pcache.rules.in" \
			>"$e/etc/udev/rules.d/61-pcache.rules"
		ln -s bin "$e/sbin"	# the dm rules run /sbin/dmsetup
		ln -s /bin/pcache "$e/etc/systemd/system-generators/pcache-generator"
		cp /lib/systemd/system/local-fs-pre.target "$e/etc/systemd/system/"
		cp /etc/os-release "$e/etc/"
		printf '%s\n' "# NAME CACHE BACKING OPTIONS" \
			"pc0	/dev/pmem0	/dev/vda	gc_percent=30" \
			"gone	/dev/pmem7	/dev/vdz	nofail,x-systemd.device-timeout=5s" \
			"later	/dev/pmem8	/dev/vdy	noauto" >"$e/etc/pcachetab"
		u=$e/etc/systemd/system
		printf '%s\n' "[Unit]" "DefaultDependencies=no" \
			"Requires=pct-test.service" >"$u/pct.target"
		printf '%s\n' "[Unit]" "DefaultDependencies=no" \
			"[Service]" "ExecStart=/bin/systemd-udevd" >"$u/pct-udevd.service"
		# (udevd must listen before the kernel's events are replayed)
		printf '%s\n' "[Unit]" "DefaultDependencies=no" \
			"Wants=pct-udevd.service" "After=pct-udevd.service" \
			"[Service]" "Type=oneshot" "RemainAfterExit=yes" \
			"ExecStartPre=/bin/sh -c 'while [ ! -S /run/udev/control ]; do sleep 0.1; done'" \
			"ExecStart=/bin/udevadm trigger --action=add" \
			"ExecStart=/bin/udevadm settle" >"$u/pct-trigger.service"
		printf '%s\n' "[Unit]" "DefaultDependencies=no" \
			"Wants=pct-trigger.service local-fs-pre.target" \
			"After=pct-trigger.service local-fs-pre.target" \
			"[Service]" "Type=oneshot" \
			"ExecStart=/bin/sh /scen/pcsysd-test.sh" >"$u/pct-test.service"
		vm_initramfs "$(command -v jq)" "$top/build/pcache" "$UDEVD" \
			"$(command -v udevadm)" "$SYSTEMD" \
			"$(command -v systemctl)" "$(command -v blkid)" ||
			bail "$VM_ERR"
		rm -rf "$e/etc" "$e/sbin"
		ram_zero
		rm -f "$W/back6.img"
		truncate -s 256M "$W/back6.img"
		run_vm pcsysd0 "$W/back6.img" '1G!1G' 300 cut
		run_vm pcsysd "$W/back6.img" '1G!1G' 600
		fsck_after pcsysd "$W/back6.img"
		rm -f "$W/back6.img"
	else
		tap notok "pcsysd: systemd, systemd-udevd, systemctl, blkid, 99-systemd.rules, device-mapper's udev rules and local-fs-pre.target on the host"
	fi
fi

# 11. read misses cached as CLEAN keys: hits, races with writes, GC, writeback
# skipping them, and a power cut after fills (offline replay by pcache-dump)
DUMP=$top/build/pcache-dump
if want readcache; then
	ram_zero
	"$W/pcpat" gen 61 0 1073741824 >"$W/back4.img"
	run_vm readcache "$W/back4.img" '512M!1G' 1200 cut
	if [ -x "$DUMP" ] && command -v jq >/dev/null; then
		ram_pmem 512 >"$W/cut.pmem"
		"$DUMP" --replay --json --backing "$W/back4.img" "$W/cut.pmem" \
			>"$W/cut.json" 2>"$W/cut.err"
		cb=$(jq -r '.replay.totals.clean_bytes' "$W/cut.json" 2>/dev/null)
		bad=$(jq -r '.replay.totals.crc_bad' "$W/cut.json" 2>/dev/null)
		nf=$(jq -r '[.replay.extents[] | select(.dirty == false and
			.off >= 943718400 and .off < 947912704) | .len] | add' \
			"$W/cut.json" 2>/dev/null)
		[ "${cb:-0}" -gt 0 ] 2>/dev/null && [ "$bad" = 0 ] &&
			tap ok "readcache: pcache-dump replays CLEAN extents after the cut ($cb bytes, data CRCs good)" ||
			tap notok "readcache: pcache-dump replays CLEAN extents after the cut (clean $cb, crc_bad $bad)"
		[ "$nf" = 4194304 ] &&
			tap ok "readcache: the last 4 MiB fill is CLEAN in the replayed log" ||
			tap notok "readcache: the last 4 MiB fill is CLEAN in the replayed log (got ${nf:-none})"
		rm -f "$W/cut.pmem"
	fi
	run_vm readreplay "$W/back4.img" '512M!1G' 600
	fsck_after readreplay "$W/back4.img" 512
	rm -f "$W/back4.img"
fi

finish
