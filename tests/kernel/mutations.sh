#!/bin/bash
# tests/kernel/mutations.sh - pcache-fsck's verdict against our module's on
# mutated cache images (issue 16). Run by kernel.tap.sh (scenario "mutate")
# once the module, the tools and the initramfs are built.
#
# Bases: the upstream fixture kcrc-crash (data_crc, 612 keys, dirty) and a
# generated cache (pcache-mutate --make-base: no data_crc, a log that crosses
# a LAST kset). Each image is one kind of pcache-mutate applied to one base
# with one seed; the host writes it into the guest's pmem region (RAM backed
# by a host file), resets the backing disk, and the guest scenario
# guest/mutate.sh activates it, reads the base's ranges back through the
# target and removes it (control port /dev/ttyS1).
#
# Verdicts compared, per image:
#   kernel: refuses (activation fails), or accepts and serves the base's data
#           ("same") or different data ("diff"); also oops/BUG/WARN, a hang
#           (no answer), a failed remove.
#   fsck:   -n --json (--verify-data on data_crc caches) --module=ours (or
#           upstream under ORACLE=upstream): kernel_accepts and
#           findings of severity loss.
# Mismatch classes: kernel refuses / fsck says it accepts; kernel accepts /
# fsck says it refuses; kernel serves different data / fsck reports no loss;
# kernel serves the same data / fsck reports loss. Known differences (listed
# below with the reason and who owns the fix) are TAP TODO, not failures.
#
# Output (to kernel.tap.sh): "ok TEXT", "notok TEXT", "todo TEXT # REASON"
# and "# comments". Environment: top W FIX KVER (from kernel.tap.sh);
# MUTATIONS = number of images (default 40, about 100 s under TCG; "all":
# every kind on both bases); MUT_KINDS = the kinds to use (default:
# pcache-mutate --list); MK_IMAGES = images of pcache-mkimage run after them
# (default: the docs/format-errata.md E1 variants, where upstream's module
# refuses and ours ends the log; their data is not compared, only the
# verdict).
set -u
. "$top/tests/kernel/vm.sh"
B=$top/build
MUT=$B/testtools/pcache-mutate
MK=$B/testtools/pcache-mkimage
FSCK=$B/pcache-fsck
DUMP=$B/pcache-dump
BACKSZ=268435456
D=$W/mut
rm -rf "$D"
mkdir -p "$D"

say() { printf '%s\t%s\n' "$1" "$2"; }

# ---- known differences: "CLASS KIND-GLOB FINDING-GLOB REASON" ----
# CLASS: refuse (kernel refuses, fsck accepts), accept (kernel accepts,
# fsck refuses), silent (different data, no loss found), false (same data,
# loss reported).
known=$(cat <<'EOF'
silent kset-zero * a kset header zeroed mid-log reads as the kernel's own end-of-log terminator (24 zero bytes); the salvage scan does not look past one (docs/salvage.md), so fsck cannot tell it from a healthy end
EOF
)

# known_reason CLASS KIND CODES: the reason, or nothing
known_reason() {
	local c k f r
	while read -r c k f r; do
		[ "$c" = "$1" ] || continue
		# shellcheck disable=SC2053
		[[ $2 == $k ]] && [[ $3 == $f ]] && { echo "$r"; return; }
	done <<<"$known"
}

# ORACLE=upstream (upstream.tap.sh): the module is the kernel's own. Once
# in four runs its constructor did not return on a chain that ends early
# (seginfo-zero, refused with -EFAULT in the other runs): a hang there is
# its bug, listed as TODO, and the images after it are not run.
UP_HANG="upstream's module did not answer (seen on seginfo-zero and on log-hdr-overrun-mid, docs/upstream.md): a hang in the kernel's own module, not a verdict of ours"
hung=

# ---- bases ----
setup_bases() {
	# (-o keeps the image sparse: the page-diff copy skips its holes)
	zstd -q -d -f "$FIX/kcrc-crash.pmem.zst" -o "$D/kcrc-crash.pmem" || return 1
	kcrc_ranges=$(awk '{ printf "%s%s+%s", (NR > 1 ? "," : ""), $1, $2 }' \
		"$FIX/expect-sha256.txt")
	kcrc_sums=$(awk '{ printf "%s%s", (NR > 1 ? "," : ""), $3 }' "$FIX/expect-sha256.txt")
	"$MUT" --make-base "$D/gen.pmem" >"$D/gen.txt" || return 1
	truncate -s "$BACKSZ" "$D/zero.img"
	gen_ranges=$(awk '$1 == "range" { printf "%s%s+%s", (n++ ? "," : ""), $2, $3 }' \
		"$D/gen.txt")
	gen_sums=
	for r in ${gen_ranges//,/ }; do
		s=$("$DUMP" --backing "$D/zero.img" --extract "${r%+*}" "${r#*+}" \
			"$D/gen.pmem" | sha256sum | cut -c1-64)
		gen_sums=$gen_sums${gen_sums:+,}$s
	done
}

# (base "mk": an image of pcache-mkimage, data_crc, no range compared)
base_crc() { [ "$1" = gen ] && echo false || echo true; }
base_ranges() {
	case $1 in kcrc-crash) echo "$kcrc_ranges" ;; gen) echo "$gen_ranges" ;; esac
}
base_sums() {
	case $1 in kcrc-crash) echo "$kcrc_sums" ;; gen) echo "$gen_sums" ;; esac
}

# The kinds interleaved by structure (sb-flip info-flip ... sb-zero
# info-zero ...), so that the first N images reach every structure.
interleave() {
	awk '{ g = $1; sub(/-.*/, "", g); if (g == "none") g = ""; \
	       printf "%d %s\n", r[g]++, $1 }' | sort -s -n -k1,1 | cut -d' ' -f2
}

# The images: "INDEX BASE KIND SEED" lines. The bases alternate, and swap
# on each pass over the kinds.
plan() {
	local kinds nk total i k b seed
	kinds=($(printf '%s\n' ${MUT_KINDS:-$("$MUT" --list)} | interleave))
	nk=${#kinds[@]}
	total=${MUTATIONS:-40}
	[ "$total" = all ] && total=$((2 * nk))
	for ((i = 0; i < total; i++)); do
		k=${kinds[$((i % nk))]}
		b=$(((i + i / nk) % 2))
		seed=$((i + 1))
		echo "$i $([ $b = 0 ] && echo kcrc-crash || echo gen) $k $seed"
	done
	for k in ${MK_IMAGES-log-nofit log-overrun log-overrun-mid log-hdr-overrun-mid log-end-exact}; do
		echo "$i mk $k 0"
		i=$((i + 1))
	done
}

# fsck_verdict IMAGE DATA_CRC: "ACCEPTS LOSS CODES" (codes comma-separated),
# or "crash EXIT -" when pcache-fsck gives no report. ACCEPTS is the verdict
# for the module under test: ours refuses more (pcache-fsck --module=ours).
fsck_verdict() {
	local v= rc=0 mod=ours
	[ "$2" = true ] && v=--verify-data
	[ "${ORACLE:-}" = upstream ] && mod=upstream
	"$FSCK" -n --json --backing-size "$BACKSZ" --data-crc="$2" $v \
		--module="$mod" "$1" \
		>"$D/fsck.json" 2>/dev/null || rc=$?
	if [ $rc -ge 8 ] || ! jq -e .summary >/dev/null 2>&1 <"$D/fsck.json"; then
		echo "crash $rc -"
		return
	fi
	jq -r '"\(.summary.kernel_accepts) \(.summary.by_severity.loss) \(.summary.by_code | keys | join(",") | if . == "" then "-" else . end)"' <"$D/fsck.json"
}

# ---- the guest ----
start_vm() {
	mkfifo "$D/pctl.in" "$D/pctl.out" || return 1
	ram_zero
	rm -f "$D/back.img"
	truncate -s "$BACKSZ" "$D/back.img"
	VM_QEMU_ARGS="-serial pipe:$D/pctl" vm_boot mutate "$D/back.img" '1G!1G' \
		"$1" >"$D/boot.txt" 2>&1 &
	vmpid=$!
	exec 4<>"$D/pctl.out" 5<>"$D/pctl.in"
	local line
	while read -t 300 -r line <&4; do
		[ "$line" = ready ] && return 0
	done
	return 1
}

# ---- one image ----
declare -A count
mismatch=()

run_case() {	# run_case INDEX BASE KIND SEED
	local i=$1 base=$2 kind=$3 seed=$4 dc line rc other fv reply k cls=
	local img=$D/m.pmem
	if [ "$base" = mk ]; then
		line="pcache-mkimage $kind"
		rm -f "$img"
		"$MK" "$img" "$kind" || { say notok "mutate: $line"; return 0; }
		rc=0
	else
		line=$("$MUT" "$D/$base.pmem" "$img" "$kind" "$seed")
		rc=$?
	fi
	if [ $rc = 2 ]; then
		other=gen
		[ "$base" = gen ] && other=kcrc-crash
		base=$other
		line=$("$MUT" "$D/$base.pmem" "$img" "$kind" "$seed")
		rc=$?
	fi
	if [ $rc = 2 ]; then
		echo "# $kind: applies to neither base ($line)"
		return 0
	fi
	[ $rc = 0 ] || { say notok "mutate: pcache-mutate $base $kind $seed: $line"; return 0; }
	dc=$(base_crc "$base")
	read -r f_acc f_loss f_codes <<<"$(fsck_verdict "$img" "$dc")"
	[ "$f_acc" = crash ] &&
		say notok "mutate: pcache-fsck fails on pcache-mutate $base $kind $seed (exit $f_loss)"
	"$MUT" --apply "$img" "$RAM" $((1 << 30)) >/dev/null || return 1
	fallocate -p -o 0 -l "$BACKSZ" "$D/back.img"
	echo "go $i $dc $(base_ranges "$base")" >&5
	reply=
	while read -t 200 -r reply <&4; do
		case $reply in "res $i "*) break ;; esac
		echo "# control port: unexpected '$reply'"
	done
	if [ "${reply%% *}" != res ]; then
		hung="$base $kind seed $seed"
		# the guest's watchdog dump (guest/mutate.sh), if it got that far
		tr -d '\r' <"$W/mutate.log" | sed -n '/mutate-watchdog:/,$p' |
			head -n 120 | sed 's/^/# /'
		if [ "${ORACLE:-}" = upstream ]; then
			say todo "mutate: $hung: the guest does not answer (hang?) # $UP_HANG"
		else
			say notok "mutate: $hung: the guest does not answer (hang?)"
		fi
		return 1
	fi
	# res ID create=RC remove=RC oops=N sums=... status=... msg=...
	local c_rc r_rc oops sums kv
	for kv in $reply; do
		case $kv in
		create=*) c_rc=${kv#*=} ;; remove=*) r_rc=${kv#*=} ;;
		oops=*) oops=${kv#*=} ;; sums=*) sums=${kv#*=} ;;
		esac
	done
	if [ "$c_rc" != 0 ]; then
		k=refuse
	elif [ "$sums" = "$(base_sums "$base")" ]; then
		k=same
	else
		k=diff
	fi
	[ "$oops" = 1 ] && say notok "mutate: $base $kind seed $seed: kernel oops/BUG/WARNING ($reply)"
	[ "$k" != refuse ] && [ "$r_rc" != 0 ] &&
		say notok "mutate: $base $kind seed $seed: dmsetup remove fails ($r_rc)"
	local f=ok
	[ "$f_acc" = crash ] && f=crash
	[ "$f_acc" = false ] && f=refuse
	[ "$f_acc" = true ] && [ "${f_loss:-0}" -gt 0 ] && f=loss
	case $k/$f in
	refuse/ok | refuse/loss) cls=refuse ;;
	same/refuse | diff/refuse) cls=accept ;;
	diff/ok) cls=silent ;;
	same/loss) cls=false ;;
	esac
	count[$kind]="${count[$kind]:-} $base:$k/$f"
	echo "# image $i: $base $kind seed $seed: kernel $k, fsck $f ($f_codes)${cls:+ MISMATCH $cls} :: $line :: ${reply#res }"
	[ -n "$cls" ] && mismatch+=("$cls|$kind|$base|$seed|$f_codes|$k")
	return 0
}

# ---- report ----
report() {
	local cls what n todo bad reasons m c kind base seed codes k r
	local v nr ns nd
	echo "# per kind: images, kernel refuse/same/diff, and each image as base:kernel/fsck"
	for kind in $(printf '%s\n' "${!count[@]}" | sort); do
		nr=0 ns=0 nd=0
		for v in ${count[$kind]}; do
			case $v in
			*:refuse/*) nr=$((nr + 1)) ;; *:same/*) ns=$((ns + 1)) ;;
			*:diff/*) nd=$((nd + 1)) ;;
			esac
		done
		echo "# kind $kind: $((nr + ns + nd)) images, refuse $nr same $ns diff $nd:${count[$kind]}"
	done
	for cls in refuse accept silent false; do
		case $cls in
		refuse) what="fsck predicts every refusal of the module" ;;
		accept) what="fsck says refuse only where the module refuses" ;;
		silent) what="fsck reports loss wherever the module serves different data" ;;
		false) what="fsck reports no loss where the module serves the base's data" ;;
		esac
		n=0 todo=0 bad= reasons=
		for m in "${mismatch[@]}"; do
			IFS='|' read -r c kind base seed codes k <<<"$m"
			[ "$c" = "$cls" ] || continue
			n=$((n + 1))
			r=$(known_reason "$cls" "$kind" "$codes")
			if [ -n "$r" ]; then
				todo=$((todo + 1))
				echo "#   known ($cls): $base $kind seed $seed ($codes): $r"
				case "$reasons; " in
				*"; $r; "*) ;;
				*) reasons="$reasons; $r" ;;
				esac
			else
				bad="$bad $base/$kind/$seed"
				echo "#   MISMATCH ($cls): recipe pcache-mutate $base $kind $seed; kernel $k; fsck $codes"
			fi
		done
		if [ $n = 0 ]; then
			say ok "mutate: $what ($images images)"
		elif [ -z "$bad" ]; then
			say todo "mutate: $what: $todo known differences # ${reasons#; }"
		else
			say notok "mutate: $what: $((n - todo)) mismatches:$bad"
		fi
	done
}

if ! setup_bases; then
	say notok "mutate: prepare the base images (kcrc-crash fixture, pcache-mutate --make-base)"
	exit 0
fi
plan >"$D/plan.txt"
images=$(wc -l <"$D/plan.txt")
if ! start_vm $((120 + images * 40)); then
	say notok "mutate: the guest scenario starts and opens its control port"
	kill -9 "$vmpid" 2>/dev/null
	tr -d '\r' <"$W/mutate.log" | tail -n 30 | sed 's/^/# /'
	exit 0
fi
t0=$(date +%s)
done_n=0
while read -r i base kind seed; do
	run_case "$i" "$base" "$kind" "$seed" || break
	done_n=$((done_n + 1))
done <"$D/plan.txt"
echo done >&5
wait "$vmpid"
cat "$D/boot.txt"
echo "# mutate: $done_n of $images images in $(($(date +%s) - t0)) s"
if [ "$done_n" = "$images" ]; then
	say ok "mutate: every image was activated and removed"
elif [ -n "$hung" ] && [ "${ORACLE:-}" = upstream ]; then
	say todo "mutate: every image was activated and removed ($done_n of $images) # $UP_HANG"
else
	say notok "mutate: every image was activated and removed ($done_n of $images)"
fi
# (a "Call Trace" after the watchdog's marker is its dump of a hung guest,
# reported above)
if grep -Eq 'BUG:|WARNING:|Oops|general protection' "$W/mutate.log" ||
	sed '/mutate-watchdog:/,$d' "$W/mutate.log" | grep -q 'Call Trace'; then
	say notok "mutate: no kernel BUG/WARNING/oops on the console"
	grep -E -m5 -A10 'BUG:|WARNING:|Oops' "$W/mutate.log" | sed 's/^/# /'
else
	say ok "mutate: no kernel BUG/WARNING/oops on the console"
fi
report
