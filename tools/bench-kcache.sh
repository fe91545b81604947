#!/bin/sh
# bench-kcache.sh - our dm-pcache module against the kernel's own
# (upstream) module, booted in turn in the same Debian kernel under qemu
# (TCG, see tests/kernel/vm.sh), with the same pcache-bench io workloads
# (tests/kernel/guest/kbench.sh). Prints a table of both, per boot and
# the median over boots.
#
# Usage: tools/bench-kcache.sh [-n BOOTS] [-t SECONDS] [-i] [-p]
#                              [-w REGEX] [-m ours|upstream|both] [-k DIR]
#   -i   count time in instructions (qemu -icount shift=0: one instruction
#        is one nanosecond of guest time), so that what the guest's CPU
#        does no longer depends on the host's load; waits for the backing
#        file and idle time still run in host time (docs/bench.md)
#   -p   profile instead (guest/kprof.sh): perf's top symbols during 4 KiB
#        random writes and read misses, once per module
#   -w   run only the workloads whose names match REGEX (grep -E), e.g.
#        -w miss; the GC workloads then start from another state
#   -m   which modules to boot (default both)
#   -k   build "ours" from the kernel sources in DIR instead of kernel/
#        (an A/B run: git worktree add /tmp/old HEAD~1; -k /tmp/old/kernel
#        with -m ours, then again without -k)
# Needs a built tree (make), jq, and a chroot with a kernel that has the
# upstream module: PCT_ROOT (default /var/tmp/pcache-upstream/root, made by
# tests/kernel/upstream-build.sh). Our module is built inside that chroot.
# Under software emulation every I/O costs about ten times what it does on
# hardware: compare the two columns, not the numbers with real pmem.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
boots=2
runtime=5
scen=kbench
icount=
only=
mods="ours upstream"
ksrc=$top/kernel
while getopts n:t:ipw:m:k: opt; do
	case $opt in
	n) boots=$OPTARG ;;
	t) runtime=$OPTARG ;;
	i) icount="-icount shift=0" ;;
	p) scen=kprof boots=1 ;;
	w) only=$OPTARG ;;
	m) case $OPTARG in both) ;; ours|upstream) mods=$OPTARG ;;
	   *) echo "bench-kcache: -m takes ours, upstream or both" >&2; exit 2 ;; esac ;;
	k) ksrc=$(cd "$OPTARG" && pwd) || exit 2 ;;
	*) echo "usage: $0 [-n BOOTS] [-t SECONDS] [-i] [-p] [-w REGEX] [-m ours|upstream|both] [-k DIR]" >&2; exit 2 ;;
	esac
done
VM_QEMU_ARGS="${VM_QEMU_ARGS:-}${icount:+ $icount}"
PCT_ROOT=${PCT_ROOT:-/var/tmp/pcache-upstream/root}
export PCT_ROOT
for p in "$top/build/pcache-bench" "$(command -v jq)"; do
	[ -x "$p" ] || { echo "bench-kcache: missing ${p:-jq} (make; tools/install-deps.sh bench kernel)" >&2; exit 1; }
done
W=$(mktemp -d /var/tmp/pcache-kbench.XXXXXX)
S=$(mktemp -d /dev/shm/pcache-kbench.XXXXXX)
KD=/build/pcache-kbench-$$
trap 'rm -rf "$W" "$S" "$PCT_ROOT$KD"' EXIT
. "$top/tests/kernel/vm.sh"
RAM=$S/ram.img
VM_APPEND="clocksource=tsc tsc=reliable no_timer_check"
die() { echo "bench-kcache: $VM_ERR" >&2; [ -z "$VM_LOG" ] || tail -n 20 "$VM_LOG" >&2; exit 1; }
vm_find_kernel || die
# Our module, built in the chroot in a directory of our own.
KM=$PCT_ROOT$KD
mkdir -p "$KM"
cp "$ksrc"/*.c "$ksrc"/*.h "$ksrc/Makefile" \
	"$top/lib/layout/pcache_layout.h" "$top/lib/layout/pcache_rules.h" \
	"$top/VERSION" "$KM/"
mountpoint -q "$PCT_ROOT/proc" || { mount -t proc proc "$PCT_ROOT/proc"; up=1; }
chroot "$PCT_ROOT" make -C "$KD" KDIR=/usr/src/linux-headers-$KVER \
	PCACHE_LAYOUT="$KD" >"$W/build.log" 2>&1 || vm_fail "build our module" "$W/build.log" || die
[ -z "${up:-}" ] || umount "$PCT_ROOT/proc"
vm_build_tools || die
mkdir -p "$W/extra/scen"
printf 'RUNTIME=%s\nONLY=%s\n' "$runtime" "'$only'" >"$W/extra/scen/kbench.conf"
echo "# guest: Debian $KVER under qemu TCG${icount:+ ($icount)}, 2 vCPUs; $boots boots per module, ${runtime}s per workload"
i=0
while [ $i -lt "$boots" ]; do
	for mod in $mods; do
		PCT_UPSTREAM=0
		[ $mod = upstream ] && PCT_UPSTREAM=1
		export PCT_UPSTREAM
		vm_initramfs "$top/build/pcache-bench" "$(command -v jq)" \
			"$(command -v perf)" || die
		dd if=/dev/zero of="$RAM" bs=1M count=$(($(numfmt --from=iec "$VM_MEM") >> 20)) status=none
		dd if=/dev/zero of="$S/back.img" bs=1M count=2048 status=none
		vm_boot $scen "$S/back.img" '1G!1G' 1800 >/dev/null
		tr -d '\r' <"$W/$scen.log" | sed -n 's/^PCB: //p' >"$W/$mod.$i"
		grep -q '^PCT: not ok\|PCT-TIMEOUT' "$W/$scen.log" &&
			{ echo "# boot $i ($mod): a step failed"; grep 'not ok' "$W/$scen.log" | sed 's/^/#   /'; }
		if [ $scen = kprof ]; then
			echo "## $mod"
			cat "$W/$mod.$i"
			continue
		fi
		grep '^#' "$W/$mod.$i" | sed "s/^/# $mod boot $i: /"
	done
	i=$((i + 1))
done
[ $scen = kbench ] || exit 0
# NAME ours... upstream... -> median of each and the ratio
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '%-28s %12s %12s %7s   %s\n' workload ours upstream ratio "per boot (ours / upstream)"
for n in $(cat "$W"/ours.* "$W"/upstream.* 2>/dev/null | grep -v "^#" | awk '{ print $1 }' | awk '!s[$0]++'); do
	o=$(cat "$W"/ours.* 2>/dev/null | awk -v n="$n" '$1 == n { print $2 }' | median)
	u=$(cat "$W"/upstream.* 2>/dev/null | awk -v n="$n" '$1 == n { print $2 }' | median)
	per=$(for f in "$W"/ours.*; do [ -f "$f" ] || continue; awk -v n="$n" '$1 == n { printf "%.0f ", $2 }' "$f"; done)
	peru=$(for f in "$W"/upstream.*; do [ -f "$f" ] || continue; awk -v n="$n" '$1 == n { printf "%.0f ", $2 }' "$f"; done)
	printf '%-28s %12.0f %12.0f %7.2f   %s/ %s\n' "$n" "$o" "$u" \
		"$(echo "$o $u" | awk '{ print ($2 > 0) ? $1 / $2 : 0 }')" "$per" "$peru"
done
