#!/bin/sh
# The libFuzzer targets in `make check` (TAP output): build them with clang
# (fuzz/build.mk), replay every seed and saved finding of each target
# (fuzz/seeds.sh) once, then fuzz each target for FUZZ_SECONDS (default 10)
# from those seeds. A crash, leak, sanitizer report or timeout fails the
# target's test; its input is kept in the build directory (FUZZ_DIR,
# default $PCACHE_BIN-fuzz or build-fuzz) as NAME-crash-*, to be fixed and
# saved under fuzz/regress/NAME/. FUZZ_SECONDS=0 only replays.
set -u
cd "$(dirname "$0")/.."
. fuzz/seeds.sh
dir=${FUZZ_DIR:-${PCACHE_BIN:-$PWD/build}-fuzz}
secs=${FUZZ_SECONDS:-10}
n=0
failed=0

tap() {		# tap ok|notok text
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=1
	fi
}

# Show the end of a failed run and where its input went.
report() {	# report LOG
	grep -E 'ERROR|SUMMARY|runtime error|Test unit written|^ +#[0-9]+ ' "$1" |
		head -n 25 | sed 's/^/# /'
}

# run_target NAME LOG ARGS...: 0 when libFuzzer ended without a finding
run_target() {
	t=$1 log=$2
	shift 2
	"$dir/fuzz_$t" -timeout=20 -max_len=131072 -rss_limit_mb=2048 \
		-close_fd_mask=3 -artifact_prefix="$dir/$t-" "$@" \
		$(fz_seeds "$t") >"$log" 2>&1
}

targets=$(fz_targets)
mkdir -p "$dir"
if ! tools/install-deps.sh fsck >"$dir/deps.log" 2>&1; then
	tap notok "install clang for the fuzz targets (tools/deps/fsck.txt)"
	sed 's/^/# /' "$dir/deps.log"
	echo "1..$n"
	exit 1
fi
rm -f "$dir/deps.log"
if make --no-print-directory -j"$(nproc)" FUZZ_DIR="$dir" \
	$(for t in $targets; do echo "$dir/fuzz_$t"; done) >"$dir/build.log" 2>&1; then
	tap ok "build the fuzz targets with clang: $(echo $targets)"
else
	tap notok "build the fuzz targets with clang"
	tail -n 20 "$dir/build.log" | sed 's/^/# /'
	echo "1..$n"
	exit 1
fi

for t in $targets; do
	seeds=$(fz_seeds "$t")
	inputs=$(find $seeds -type f 2>/dev/null | wc -l)
	if [ "$inputs" -eq 0 ]; then
		tap notok "$t: has seeds"
		continue
	fi
	if run_target "$t" "$dir/replay-$t.log" -runs=0; then
		tap ok "$t: replays its $inputs seeds and saved findings ($(echo $seeds))"
	else
		tap notok "$t: replays its $inputs seeds and saved findings"
		report "$dir/replay-$t.log"
	fi
done

[ "$secs" -gt 0 ] 2>/dev/null || secs=0
for t in $targets; do
	[ "$secs" -eq 0 ] && break
	work=$dir/corpus-$t
	mkdir -p "$work"
	if run_target "$t" "$dir/fuzz-$t.log" -max_total_time="$secs" \
		-print_final_stats=1 "$work"; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz-$t.log")
		tap ok "$t: ${secs} s of fuzzing (${runs:-?} runs) finds nothing"
	else
		tap notok "$t: ${secs} s of fuzzing finds nothing (log $dir/fuzz-$t.log)"
		report "$dir/fuzz-$t.log"
	fi
done
echo "1..$n"
exit $failed
