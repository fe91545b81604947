#!/bin/bash
# Cross-check suite against the kernel's own dm-pcache (TAP output).
#
# upstream-build.sh builds upstream's drivers/md/dm-pcache out of tree from
# Debian sid's linux-source package; this script boots sid's kernel under
# qemu (vm.sh) with either that module or ours - never both in one boot,
# they register the same target name - and makes upstream the oracle:
#
# * a chain of power cuts: every boot replays the previous boot's crash
#   image with the other module, checks every block against the seeded
#   workload (tests/kernel/pcwl.c: the last write before the last flush
#   that returned, or a newer one), writes it all back, then formats a new
#   cache, runs a new workload in a fresh window of the backing device and
#   is cut at a random moment. Links 1 and 2 (ours, then upstream) use a
#   region smaller than the cache and one larger than it and are cut only
#   after a LAST link and GC were seen; the CUTS further links (torture)
#   alternate the modules with random cut times.
# * pcache-fsck -n on every crash image; at the end every window of the
#   backing device must hold exactly what the cache showed at replay.
# * pcache-writeback of upstream's crash image from link 2 must leave the
#   backing device exactly as upstream's own replay and writeback does.
# * pcache-bench io figures for both modules side by side (TAP comments).
# * pcache(8) end to end with upstream's module (the qemu suite's pcache
#   and pcachetab scenarios).
#
# Environment: CUTS (torture links, default 2), PCT_SEED (master seed,
# default: the time; printed for reruns), PCT_UPSTREAM_DIR (default
# /var/tmp/pcache-upstream), PCT_WORK / PCT_KEEP=1 as in kernel.tap.sh,
# PCT_ONLY="chain wb bench pcache mutate" restricts the run, BENCH_S (seconds per
# benchmark, default 4), PCT_BENCH_MD=FILE also writes the table there.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
UD=${PCT_UPSTREAM_DIR:-/var/tmp/pcache-upstream}
W=${PCT_WORK:-$(mktemp -d /tmp/pcache-upstream-test.XXXXXX)}
mkdir -p "$W"
CUTS=${CUTS:-2}
SEED=${PCT_SEED:-$(date +%s)}
FSCK=$top/build/pcache-fsck
WB=$top/build/pcache-writeback
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

is() {		# is "text" command...: tap the command's success
	local t=$1
	shift
	if "$@"; then tap ok "$t"; else tap notok "$t"; fi
}

finish() {
	echo "# upstream cross-check took $(($(date +%s) - t0)) s"
	echo "1..$n"
	[ "${PCT_KEEP:-0}" = 1 ] || rm -rf "$W"
	exit $failed
}

bail() {
	tap notok "$1"
	[ -n "${2:-}" ] && [ -f "$2" ] && tail -n 30 "$2" | sed 's/^/# /'
	finish
}

want() { [ -z "${PCT_ONLY:-}" ] || echo " $PCT_ONLY " | grep -q " $1 "; }

"$top/tools/install-deps.sh" kernel upstream >"$W/deps.log" 2>&1 ||
	bail "install kernel test dependencies" "$W/deps.log"
for p in "$FSCK" "$WB" "$top/build/pcache-bench"; do
	[ -x "$p" ] || bail "$p is built (make all first)"
done

# 1. Upstream's module from the Debian packages (or a clear skip).
"$here/upstream-build.sh" "$UD" >"$W/upbuild.log" 2>&1
rc=$?
if [ $rc = 3 ]; then
	echo "1..0 # SKIP the kernel's own dm-pcache cannot be built here:" \
		"$(grep '^upstream-build:' "$W/upbuild.log" | tail -n 1)"
	[ "${PCT_KEEP:-0}" = 1 ] || rm -rf "$W"
	exit 0
fi
[ $rc = 0 ] || bail "build upstream dm-pcache from Debian's linux-source" "$W/upbuild.log"
tap ok "build upstream dm-pcache from Debian's linux-source"
sed 's/^/# /' "$UD/built-from.txt"
. "$UD/env"
export PCT_ROOT
echo "# master seed $SEED (rerun: PCT_SEED=$SEED CUTS=$CUTS)"

. "$here/vm.sh"
vm_find_kernel || bail "$VM_ERR"
vm_build_module || bail "$VM_ERR" "$VM_LOG"
tap ok "our module builds against $KVER headers (the chroot's gcc)"
vm_build_tools || bail "$VM_ERR"
gcc -static -O2 -Wall -Wextra -Werror -o "$W/pcwl" "$here/pcwl.c" ||
	bail "build the workload tool"
mkdir -p "$W/extra/bin"
cp "$W/pcwl" "$W/extra/bin/"	# static: vm_initramfs adds it as it is
for m in ours up; do
	if [ $m = up ]; then u=1; else u=0; fi
	PCT_UPSTREAM=$u vm_initramfs "$top/build/pcache-bench" \
		"$(command -v jq)" || bail "$VM_ERR"
	mv "$W/initrd.gz" "$W/initrd-$m.gz"
done
modname() { [ "$1" = up ] && echo upstream || echo ours; }

# boot MOD NAME BACKING MEMMAP TIMEOUT [cut]: TAP lines named "$label: ...";
# $W/xc.env goes into the
# initramfs as /xc.env (a second cpio archive after the first).
boot() {
	local mod=$1
	shift
	rm -rf "$W/xroot"
	mkdir -p "$W/xroot"
	cp "$W/xc.env" "$W/xroot/xc.env" 2>/dev/null || : >"$W/xroot/xc.env"
	(cd "$W/xroot" && echo xc.env | cpio -o -H newc --quiet | gzip -1) >"$W/xc.gz"
	cat "$W/initrd-$mod.gz" "$W/xc.gz" >"$W/initrd.gz"
	vm_boot "$@"
	tr -d '\r' <"$log" >"$log.txt"
	sed -n 's/^PCT: \(ok\|not ok\) - \(.*\)$/\1|\2/p' "$log.txt" >"$W/res"
	while IFS='|' read -r r t; do
		[ "$r" = ok ] && tap ok "$label: $t" || tap notok "$label: $t"
	done <"$W/res"
	if [ -n "${5:-}" ]; then
		is "$label: guest reached the power cut" grep -q PCT-CUT "$log.txt"
	else
		is "$label: guest finished" grep -q PCT-DONE "$log.txt"
	fi
	is "$label: no kernel BUG/WARNING/oops" \
		sh -c "! grep -Eq 'BUG:|WARNING:|Oops|Call Trace|general protection' '$log.txt'"
	if grep -q "^not ok" "$W/res" || ! grep -q "PCT-DONE\|PCT-CUT" "$log.txt"; then
		grep -v '^PCT: ok' "$log.txt" | tail -n 40 | sed 's/^/# /'
	fi
}

rnd() {		# rnd KEY MOD: a number from the master seed, 0 ... MOD-1
	echo $(( $(echo "$SEED $1" | cksum | cut -d' ' -f1) % $2 ))
}

# fsck_ok NAME CRC PMEM BACKING: our checker finds the cache consistent.
# pcimg fill's CLEAN keys all map the same 4 MiB of the last segment, so
# while they are still live (GC has not passed them) pcache-fsck rightly
# reports them as overlapping (PC-KEY-OVERLAP, C50): those findings are the
# test's own making and are the only ones let through.
fsck_ok() {
	local fill last bad
	"$FSCK" -n --json --data-crc="$2" --backing "$4" "$3" \
		>"$W/fsck.json" 2>"$W/fsck.err"
	case $? in
	0) tap ok "$1: pcache-fsck -n finds it consistent"; return ;;
	4) ;;
	*) tap notok "$1: pcache-fsck -n finds it consistent"
	   sed 's/^/# /' "$W/fsck.err"; return ;;
	esac
	last=$(( ($(stat -c %s "$3") - 20480) / 16777216 - 1 ))
	fill="cached data $last:0+4194304 (off 0) overlaps another live key's data in the same segment"
	bad=$(jq -r --arg f "$fill" '.findings[] | select(.severity != "info") |
		select(.code != "PC-KEY-OVERLAP" or .message != $f) | "\(.code) \(.message)"' \
		"$W/fsck.json")
	if [ -z "$bad" ]; then
		tap ok "$1: pcache-fsck -n finds it consistent (but for pcimg fill's keys)"
	else
		tap notok "$1: pcache-fsck -n finds it consistent"
		echo "$bad" | head -n 20 | sed 's/^/# /'
	fi
}

# 2. The chain of power cuts.
MiB=1048576
links=$((2 + CUTS))
declare -a L_MOD L_SEED L_REG L_CRC L_N L_DIGEST L_OK
base=$((8 * MiB))	# below: pcimg fill's CLEAN keys cover 0 ... 4 MiB
for g in $(seq 1 $links); do
	if [ $((g % 2)) = 1 ]; then L_MOD[g]=ours; else L_MOD[g]=up; fi
	L_SEED[g]=$(( $(rnd "seed $g" 1000000) + 1 ))
	L_CRC[g]=false
	if [ $g -le 2 ]; then
		# 16 MiB within the cache, 576 MiB more than the 512 MiB cache
		L_REG[g]="$base $((16 * MiB)) $((base + 16 * MiB)) $((576 * MiB))"
		base=$((base + 592 * MiB))
	else
		[ $((g % 3)) = 0 ] && L_CRC[g]=true
		L_REG[g]="$base $((24 * MiB)) $((base + 24 * MiB)) $((8 * MiB))"
		base=$((base + 32 * MiB))
	fi
done
if want chain; then
	ram_zero
	rm -f "$W/back.img"
	truncate -s $((base + 64 * MiB)) "$W/back.img"
	cuts=0
	for g in $(seq 1 $((links + 1))); do
		p=$((g - 1))
		mod=${L_MOD[g]:-}
		[ -n "$mod" ] || { [ "${L_MOD[p]}" = ours ] && mod=up || mod=ours; }
		{
			if [ $p -ge 1 ]; then
				echo "CHK_SEED=${L_SEED[p]} CHK_N=${L_N[p]} CHK_CRC=${L_CRC[p]}"
				echo "CHK_REG='${L_REG[p]}'"
			else
				echo "CHK_SEED="
			fi
			if [ $g -le $links ]; then
				fill=1 wait=0 ms=$(rnd "cut $g" 3000)
				[ "${L_CRC[g]}" = true ] && fill=0
				[ $g -le 2 ] && wait=1
				[ $g -gt 2 ] && ms=$((2000 + $(rnd "cut $g" 12000)))
				echo "RUN_SEED=${L_SEED[g]} RUN_CRC=${L_CRC[g]} RUN_GC=10"
				echo "RUN_REG='${L_REG[g]}' RUN_FILL=$fill RUN_WAIT=$wait RUN_MS=$ms"
			else
				echo "RUN_SEED="
			fi
		} >"$W/xc.env"
		label="link $g"
		what="link $g: $(modname "$mod")"
		[ $p -ge 1 ] && what="$what replays link $p ($(modname "${L_MOD[p]}"))"
		if [ $g -le $links ]; then
			echo "# $what, then writes seed ${L_SEED[g]} (regions ${L_REG[g]}) and is cut"
			boot "$mod" xchain "$W/back.img" '512M!1G' 900 cut
		else
			echo "# $what"
			boot "$mod" xchain "$W/back.img" '512M!1G' 900
		fi
		if [ $p -ge 1 ]; then
			L_DIGEST[p]=$(sed -n 's/^PCT-DIGEST //p' "$log.txt" | tail -n 1)
			grep -q '^ok|.*every block holds its last durable write' "$W/res" &&
				L_OK[p]=1
		fi
		[ $g -le $links ] || break
		L_N[g]=$(sed -n 's/^PCWL-SYNC \([0-9]*\)$/\1/p' "$log.txt" | tail -n 1)
		L_N[g]=${L_N[g]:-0}
		echo "# link $g: cut after $(grep -c '^PCWL-SYNC' "$log.txt") flushes, ${L_N[g]} ops durable"
		sed -n 's/^status at cut: /# status at cut: /p' "$log.txt"
		ram_pmem 512 >"$W/crash.pmem"
		fsck_ok "link $g ($(modname "$mod")) crash image" "${L_CRC[g]}" \
			"$W/crash.pmem" "$W/back.img"
		if [ $g = 2 ]; then	# upstream's crash image for the writeback check
			cp "$W/crash.pmem" "$W/up2.pmem"
			cp --sparse=always "$W/back.img" "$W/up2.back"
			up2_crc=${L_CRC[g]}
		fi
	done
	# Every window on the backing device, read natively on the host, must
	# be what the cache showed at replay (same digest), and right.
	for g in $(seq 1 $links); do
		"$W/pcwl" check "$W/back.img" ${L_SEED[g]} ${L_REG[g]} ${L_N[g]} \
			>"$W/bchk.txt" 2>&1
		rc=$?
		d=$(sed -n 's/.* digest //p' "$W/bchk.txt")
		if [ $rc = 0 ] && [ -n "$d" ] && [ "$d" = "${L_DIGEST[g]:-}" ]; then
			tap ok "link $g: the backing device holds exactly what the cache showed at replay"
			[ -n "${L_OK[g]:-}" ] && cuts=$((cuts + 1))
		else
			tap notok "link $g: the backing device holds exactly what the cache showed at replay"
			sed 's/^/# /' "$W/bchk.txt" | head -n 12
			echo "# digest at replay: ${L_DIGEST[g]:-none}"
		fi
	done
	ram_pmem 512 >"$W/crash.pmem"
	fsck_ok "chain: the final cache" "${L_CRC[links]}" "$W/crash.pmem" "$W/back.img"
	echo "# power cuts survived (replay by the other module and backing exact): $cuts of $links" \
		"(2 interchange links, $((links - 2)) random-time torture links, CUTS=$CUTS)"
	rm -f "$W/back.img" "$W/crash.pmem"
fi

# 3. Offline writeback of upstream's crash image = upstream's own writeback.
if want chain && want wb && [ -f "$W/up2.pmem" ]; then
	cp --sparse=always "$W/up2.back" "$W/wb-ours.back"
	cp "$W/up2.pmem" "$W/wb-ours.pmem"
	if "$WB" -q "$W/wb-ours.pmem" "$W/wb-ours.back" >"$W/wb.log" 2>&1; then
		tap ok "pcache-writeback of upstream's link 2 crash image"
		sed 's/^/# /' "$W/wb.log"
	else
		tap notok "pcache-writeback of upstream's link 2 crash image"
		tail -n 20 "$W/wb.log" | sed 's/^/# /'
	fi
	fsck_ok "after pcache-writeback" "$up2_crc" "$W/wb-ours.pmem" "$W/wb-ours.back"
	ram_load "$W/up2.pmem"
	echo "CHK_CRC=$up2_crc" >"$W/xc.env"
	label="writeback reference (upstream)"
	boot up xwb "$W/up2.back" '512M!1G' 900
	if cmp -s "$W/up2.back" "$W/wb-ours.back"; then
		tap ok "pcache-writeback leaves the backing device as upstream's writeback does"
	else
		tap notok "pcache-writeback leaves the backing device as upstream's writeback does"
		cmp "$W/up2.back" "$W/wb-ours.back" | head -n 3 | sed 's/^/# /'
	fi
	rm -f "$W"/up2.* "$W"/wb-ours.*
fi

# 4. Side-by-side figures (not assertions).
if want bench; then
	echo "BENCH_S=${BENCH_S:-4}" >"$W/xc.env"
	for m in ours up; do
		ram_zero
		rm -f "$W/bench.img"
		truncate -s 2G "$W/bench.img"
		label="bench ($(modname $m))"
		boot $m xbench "$W/bench.img" '512M!1G' 900
		sed -n 's/^PCT-BENCH //p' "$log.txt" >"$W/bench-$m.txt"
	done
	rm -f "$W/bench.img"
	{
		echo "pcache-bench io on /dev/mapper/pc0, 512 MiB cache, 2 GiB backing, $KVER (TCG)"
		echo
		echo "| workload | ours IOPS | p50 us | p99 us | upstream IOPS | p50 us | p99 us |"
		echo "|---|---:|---:|---:|---:|---:|---:|"
		for w in randwrite wbgc cachedread readmiss; do
			o=$(awk -v w=$w '$1 == w { printf "%.0f | %.0f | %.0f", $2, $3 / 1000, $4 / 1000 }' "$W/bench-ours.txt")
			u=$(awk -v w=$w '$1 == w { printf "%.0f | %.0f | %.0f", $2, $3 / 1000, $4 / 1000 }' "$W/bench-up.txt")
			echo "| $w | ${o:-- | - | -} | ${u:-- | - | -} |"
		done
	} >"$W/bench.md"
	sed 's/^/# /' "$W/bench.md"
	[ -n "${PCT_BENCH_MD:-}" ] && cp "$W/bench.md" "$PCT_BENCH_MD"
fi

# 5. pcache(8) end to end with upstream's module: the qemu suite's pcache
# and pcachetab scenarios (tests/kernel/guest/pcache.sh, pcachetab.sh)
# unchanged - every subcommand, refusals that change nothing, the drain on
# remove, a power cut, then activate --all from a pcachetab.
if want pcache && [ -x "$top/build/pcache" ]; then
	vm_extra_modules lib/fs ext4 &&	# mounted-device refusal
		PCT_UPSTREAM=1 vm_initramfs "$(command -v jq)" \
			"$top/build/pcache" || bail "$VM_ERR"
	mv "$W/initrd.gz" "$W/initrd-uppc.gz"
	rm -rf "$W/extra/lib"
	: >"$W/xc.env"
	ram_zero
	rm -f "$W/pc.img"
	truncate -s 256M "$W/pc.img"
	label="pcache (upstream)"
	boot uppc pcache "$W/pc.img" '1G!1G' 900 cut
	label="pcachetab (upstream)"
	boot uppc pcachetab "$W/pc.img" '1G!1G' 600
	ram_pmem >"$W/pc.pmem"
	fsck_ok "pcachetab (upstream): the cache device after deactivate --all" \
		false "$W/pc.pmem" "$W/pc.img"
	rm -f "$W/pc.img" "$W/pc.pmem"
fi

# 6. Mutated images (tests/kernel/mutations.sh, MUTATIONS=N) activated with
# upstream's module: pcache-fsck's verdict must match the kernel's own.
FIX=${PCACHE_FIXTURES:-$top/../shared/fixtures}
if want mutate && [ -x "$top/build/testtools/pcache-mutate" ] &&
   [ -f "$FIX/kcrc-crash.pmem.zst" ]; then
	cp "$W/initrd-up.gz" "$W/initrd.gz"
	ORACLE=upstream top=$top W=$W FIX=$FIX KVER=$KVER bash "$here/mutations.sh" \
		>"$W/mutate.res" 2>&1
	while IFS="$(printf '\t')" read -r r t; do
		case $r in
		ok | notok | todo) tap "$r" "upstream $t" ;;
		*) echo "$r${t:+ $t}" ;;
		esac
	done <"$W/mutate.res"
fi

finish
