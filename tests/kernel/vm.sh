# vm.sh - boot Debian's kernel under qemu (TCG) with our dm-pcache module,
# a legacy pmem region (memmap=) backed by a host file and a virtio-blk
# backing disk. Sourced by kernel.tap.sh (the tests) and by
# tools/bench-guest.sh (benchmarks on a live device).
#
# The caller sets top (the source tree) and W (a scratch directory). Every
# vm_* function that can fail returns 1 with VM_ERR (what failed) and VM_LOG
# (a log worth showing, may be empty) set.
#
# Environment: PCT_ROOT (a chroot with another Debian kernel, see
# sid-build.sh), PCT_UPSTREAM=1 (load the kernel's own dm-pcache instead of
# ours), PCT_MODULE (a prebuilt dm-pcache.ko, see vm_use_module), VM_MEM
# (guest RAM, default 3G; the pmem region starts at 1 GiB), VM_APPEND (more
# kernel parameters), VM_QEMU_ARGS (more qemu options, e.g. a control port:
# "-serial pipe:PATH" is the guest's /dev/ttyS1).
vm_here=$top/tests/kernel
PR=${PCT_ROOT:-}
VM_MEM=${VM_MEM:-3G}
RAM=$W/ram.img

vm_fail() {
	VM_ERR=$1
	VM_LOG=${2:-}
	return 1
}

# Newest Debian amd64 kernel that has an image, modules and headers, on this
# system or in the chroot PCT_ROOT.
vm_find_kernel() {
	KVER=
	for v in $(ls "$PR/boot" | sed -n 's/^vmlinuz-\(.*-amd64\)$/\1/p' | sort -V); do
		[ -d "$PR/usr/src/linux-headers-$v" ] && [ -d "$PR/lib/modules/$v" ] &&
			KVER=$v
	done
	[ -n "$KVER" ] || vm_fail "find a Debian kernel image with headers"
}

# Build a copy of kernel/, so that a concurrent "make kernel" in the tree
# is not disturbed. The log is $W/build.log.
vm_build_module() {
	[ -z "${PCT_MODULE:-}" ] || { vm_use_module "$PCT_MODULE"; return; }
	if [ -n "$PR" ]; then
		KM=$PR/build/pcache-test
		kmake="chroot $PR make -C /build/pcache-test KDIR=/usr/src/linux-headers-$KVER PCACHE_LAYOUT=/build/pcache-test"
	else
		KM=$W/kmod
		kmake="make -C $KM KDIR=/usr/src/linux-headers-$KVER PCACHE_LAYOUT=$top/lib/layout"
	fi
	rm -rf "$KM"
	mkdir -p "$KM"
	cp "$top"/kernel/*.c "$top"/kernel/*.h "$top/kernel/Makefile" "$top/VERSION" "$KM/"
	rm -f "$KM/dm-pcache.mod.c"
	[ -n "$PR" ] && cp "$top/lib/layout/pcache_layout.h" \
		"$top/lib/layout/pcache_rules.h" "$KM/"
	# (objtool needs /proc, also inside a chroot)
	umount_proc=
	[ -n "$PR" ] && ! mountpoint -q "$PR/proc" && mount -t proc proc "$PR/proc" &&
		umount_proc=1
	$kmake -j"$(nproc)" >"$W/build.log" 2>&1
	rc=$?
	[ -n "$umount_proc" ] && umount "$PR/proc"
	[ $rc = 0 ] || vm_fail "module builds against $KVER headers" "$W/build.log"
}

# PCT_MODULE=/path/dm-pcache.ko: load a module built elsewhere (e.g. by
# DKMS in tests/deb/deb.tap.sh) instead of building kernel/; it must be
# built for the kernel the VM boots.
vm_use_module() {
	local vermagic
	[ -f "$1" ] || vm_fail "find PCT_MODULE $1" || return 1
	vermagic=$(modinfo -F vermagic "$1") || vm_fail "read PCT_MODULE $1" || return 1
	[ "${vermagic%% *}" = "$KVER" ] ||
		vm_fail "PCT_MODULE is built for ${vermagic%% *}, the VM boots $KVER" || return 1
	KM=$W/kmod
	rm -rf "$KM"
	mkdir -p "$KM"
	cp "$1" "$KM/dm-pcache.ko"
}

# The static helpers the guest scenarios use.
vm_build_tools() {
	gcc -static -O2 -Wall -Werror -o "$W/pcpat" "$vm_here/pcpat.c" ||
		vm_fail "build the pattern tool" || return 1
	gcc -static -O2 -Wall -Werror -I"$top/lib/layout" -o "$W/pcimg" \
		"$vm_here/pcimg.c" || vm_fail "build the image editing tool"
}

# Copy a dynamically linked program into the initramfs root $1 as
# /bin/NAME, with the shared libraries it needs at their host paths.
vm_add_program() {
	cp "$2" "$1/bin/$(basename "$2")"
	for l in $(ldd "$2" | grep -o '/[^ ]*'); do
		mkdir -p "$1$(dirname "$l")"
		[ -f "$1$l" ] || cp -L "$l" "$1$l"
	done
}

# vm_copy_ko KO DIR: a module file, decompressed, into DIR; its name is
# appended to DIR/order.
vm_copy_ko() {
	b=$(basename "$1")
	case "$1" in
	*.xz) xz -dc "$1" >"$2/${b%.xz}"; b=${b%.xz} ;;
	*.zst) zstd -qdc "$1" >"$2/${b%.zst}"; b=${b%.zst} ;;
	*) cp "$1" "$2/$b" ;;
	esac
	echo "$b" >>"$2/order"
}

# vm_extra_modules DIR MODULE...: the modules with their dependencies, in
# load order, into $W/extra/DIR (the next vm_initramfs adds them) for a
# scenario that loads them itself from /DIR/order.
vm_extra_modules() {
	d=$W/extra/$1
	shift
	rm -rf "$d"
	mkdir -p "$d"
	: >"$d/order"
	for m in "$@"; do
		modprobe ${PR:+-d "$PR"} -S "$KVER" --show-depends "$m" |
			awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while read -r ko; do
		[ -f "$ko" ] || ko=$PR$ko
		vm_copy_ko "$ko" "$d"
	done
}

# Modules the guest loads, in dependency order, into $1/lib/mod.
vm_add_modules() {
	: >"$1/lib/mod/order"
	mods="virtio_pci virtio_blk dm_mod nd_e820 nd_pmem"
	[ "${PCT_UPSTREAM:-0}" = 1 ] && mods="$mods dm_pcache"
	for m in $mods; do
		modprobe ${PR:+-d "$PR"} -S "$KVER" --show-depends "$m" |
			awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while read -r ko; do
		[ -f "$ko" ] || ko=$PR$ko
		vm_copy_ko "$ko" "$1/lib/mod"
	done
	if [ "${PCT_UPSTREAM:-0}" = 1 ]; then
		: >"$1/lib/mod/upstream"	# already in the order list
	else
		cp "$KM/dm-pcache.ko" "$1/lib/mod/"
	fi
}

# vm_initramfs [PROGRAM...]: $W/initrd.gz with busybox, dmsetup, the
# module, the guest scenarios and the given extra programs (with their
# libraries; a missing one is skipped, the scenario that needs it says so).
# Files under $W/extra/ are added as they are (e.g. a scenario's settings).
vm_initramfs() {
	R=$W/root
	rm -rf "$R"
	mkdir -p "$R/bin" "$R/lib/mod" "$R/scen" "$R/proc" "$R/sys" "$R/dev" \
		"$R/tmp"
	cp /bin/busybox "$R/bin/busybox"
	cp "$W/pcpat" "$W/pcimg" "$R/bin/"
	cp "$vm_here/guest/init" "$R/init"
	chmod +x "$R/init"
	cp "$vm_here"/guest/*.sh "$R/scen/"
	[ -f "${FIX:-}/expect-sha256.txt" ] && cp "$FIX/expect-sha256.txt" "$R/scen/"
	vm_add_program "$R" "$(command -v dmsetup || echo /sbin/dmsetup)"
	for p in "$@"; do
		[ -x "$p" ] && vm_add_program "$R" "$p"
	done
	vm_add_modules "$R"
	[ -d "$W/extra" ] && cp -a "$W/extra/." "$R/"
	(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) >"$W/initrd.gz" ||
		vm_fail "build the initramfs"
}

ram_zero() {
	rm -f "$RAM"
	truncate -s "$VM_MEM" "$RAM"
}

ram_load() {	# ram_load IMAGE: put a pmem image at guest physical 1 GiB
	ram_zero
	dd if="$1" of="$RAM" bs=1M seek=1024 conv=notrunc status=none
}

ram_pmem() {	# ram_pmem [MIB]: the pmem region (default 1 GiB) to stdout
	dd if="$RAM" bs=1M skip=1024 count="${1:-1024}" status=none
}

# vm_boot NAME BACKING MEMMAP TIMEOUT [cut]: run scenario NAME; the console
# goes to $W/NAME.log. With "cut", qemu is killed (a power cut) as soon as
# the guest prints PCT-CUT. Prints the duration as a TAP comment.
# no_timer_check: on a loaded host TCG's timer test fails at boot ("IO-APIC +
# timer doesn't work") and the guest panics.
vm_boot() {
	name=$1 back=$2 mm=$3 tmo=$4 cut=${5:-}
	log=$W/$name.log
	rm -f "$log"
	qemu-system-x86_64 -machine pc,memory-backend=ram -m "$VM_MEM" -smp 2 \
		-cpu max -accel tcg,thread=single \
		-object memory-backend-file,id=ram,size="$VM_MEM",mem-path="$RAM",share=on \
		-kernel "$PR/boot/vmlinuz-$KVER" -initrd "$W/initrd.gz" \
		-append "console=ttyS0 memmap=$mm pct=$name panic=-1 loglevel=4 no_timer_check ${VM_APPEND:-}" \
		-drive file="$back",format=raw,if=virtio,cache=unsafe \
		-display none -serial file:"$log" -monitor none -no-reboot \
		${VM_QEMU_ARGS:-} </dev/null >"$W/$name.qemu" 2>&1 &
	qpid=$!
	s=$(date +%s)
	while kill -0 $qpid 2>/dev/null; do
		if [ -n "$cut" ] && grep -q PCT-CUT "$log" 2>/dev/null; then
			kill -9 $qpid
			break
		fi
		if [ $(($(date +%s) - s)) -ge "$tmo" ]; then
			kill -9 $qpid
			echo "PCT-TIMEOUT" >>"$log"
			break
		fi
		sleep 1
	done
	wait $qpid 2>/dev/null
	echo "# $name: $(($(date +%s) - s)) s"
}
