#!/bin/bash
# Run every test suite against each build tree given (plain, sanitized) and
# print one closing line: "N passed, N failed".
#
#   tests/run.sh BUILD [BUILD...]
#
# Suites: C unit tests ($BUILD/unit/*), bats files (tests/*.bats, with
# PCACHE_BIN=$BUILD) and, once, every tests/**/*.tap.sh (e.g. the kernel
# tests in qemu). All speak TAP; this script counts "ok"/"not ok" lines,
# and counts one more failure for a suite that has no plan, does not run
# the number of tests its plan "1..N" announces, or exits non-zero with
# no test failed (a crash after N "ok" lines is not N passes). A "not ok"
# line marked "# TODO" (a known failure) is listed but not counted.
#
# Suites run side by side in PCACHE_LANES lanes (default: the number of
# CPUs, at most 2), the longest first: the qemu suites keep one CPU busy
# each (TCG runs a guest in one thread) for most of the run, and in one lane
# they would add up to well over half of it. Each suite's TAP goes to a
# file and is printed, counted, in a fixed order once all have ended;
# lines "# started: NAME" and "# ended: NAME (N s)" tell the progress. PCACHE_LANES=1 runs them
# one after the other.
# PCACHE_SKIP_KERNEL=1 leaves out the qemu tests (quick local runs only).
# PCACHE_SUITES="X.tap.sh ..." runs only those TAP scripts (make check-upstream).
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
timing=
todo=0
log=$(mktemp)
todo_log=$(mktemp)
out_dir=$(mktemp -d)
declare -A job_of	# job index by pid (= process group) while it runs
# Killed or ended early: the suites still running go too, whole process
# groups (bats, qemu and their children).
stop_jobs() {
	local p
	for p in "${!job_of[@]}"; do kill -- "-$p" 2>/dev/null; done
}
trap 'stop_jobs; rm -rf "$log" "$todo_log" "$out_dir"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# The last line of every suite's stream, written by start_job: its exit code.
EXIT_MARK='# run.sh: suite exit'

count() {	# $1: suite name; TAP on stdin
	local line plan= seen=0 bad=0 rc=
	while IFS= read -r line; do
		case "$line" in
		"$EXIT_MARK "*) rc=${line#"$EXIT_MARK "}; continue ;;
		esac
		printf '%s\n' "$line"
		case "$line" in
		"not ok "*"# TODO"*) todo=$((todo + 1)); seen=$((seen + 1))
			echo "$1: $line" >> "$todo_log" ;;
		"not ok "*) failed=$((failed + 1)); bad=$((bad + 1)); seen=$((seen + 1))
			echo "$1: $line" >> "$log" ;;
		"ok "*) passed=$((passed + 1)); seen=$((seen + 1)) ;;
		1..*) plan=${line#1..}; plan=${plan%%[!0-9]*} ;;
		esac
	done
	# A suite that dies (crash, exit before its plan, killed) is one more
	# failure: its "ok" lines alone would make it look passed.
	local why=
	if [ -z "$plan" ]; then
		why="no TAP plan (1..N) after $seen tests, exit ${rc:-?}"
	elif [ "$plan" -ne "$seen" ]; then
		why="plan 1..$plan not met: $seen tests ran, exit ${rc:-?}"
	elif [ "${rc:-1}" != 0 ] && [ "$bad" -eq 0 ]; then
		why="exit ${rc:-?} although every test passed"
	fi
	if [ -n "$why" ]; then
		failed=$((failed + 1))
		echo "# suite failed: $why"
		echo "$1: suite failed: $why" >> "$log"
	fi
}

# Job i: names[i], prio[i] (lower starts first), job_cmd[i] (the command,
# quoted for eval); jobs are printed in the order they were added.
names=()
prio=()
declare -A job_cmd

add_job() {	# $1: priority, $2: name, rest: command producing TAP
	local i=${#names[@]}
	names+=("$2")
	prio+=("$1")
	shift 2
	job_cmd[$i]=$(printf '%q ' "$@")
}

# The output of job $1 in $out_dir/$1.tap, its exit code as its last line,
# its run time in $out_dir/$1.time.
start_job() {
	local i=$1
	(
		start=$SECONDS
		eval "${job_cmd[$i]}" >"$out_dir/$i.tap" 2>&1 </dev/null
		echo "$EXIT_MARK $?" >>"$out_dir/$i.tap"
		echo $((SECONDS - start)) >"$out_dir/$i.time"
	) &
	job_of[$!]=$i
}

lanes=${PCACHE_LANES:-$(nproc 2>/dev/null || echo 1)}
[ "$lanes" -ge 1 ] 2>/dev/null || lanes=1
[ "$lanes" -le 2 ] || lanes=2

for build in "$@"; do
	[ -n "${PCACHE_SUITES:-}" ] && break
	export PCACHE_BIN=$PWD/$build
	for t in "$build"/unit/test_*; do
		[ -x "$t" ] && add_job 5 "$build unit $(basename "$t")" \
			env PCACHE_BIN="$PCACHE_BIN" "$t"
	done
	bats_files=$(ls tests/*.bats 2>/dev/null)
	if [ -n "$bats_files" ]; then
		# the last build (sanitized) runs the bats files slowest
		p=3
		[ $# -gt 1 ] && [ "$build" = "${!#}" ] && p=1
		add_job $p "$build bats" env PCACHE_BIN="$PCACHE_BIN" \
			bats --tap $bats_files
	fi
done
for t in ${PCACHE_SUITES:-$(find tests -name '*.tap.sh' -perm -u+x | sort)}; do
	[ -n "${PCACHE_SKIP_KERNEL:-}" ] && case $t in tests/kernel/*) continue ;; esac
	case $t in
	*/kernel.tap.sh) p=0 ;;
	*/upstream.tap.sh) p=2 ;;
	*) p=4 ;;
	esac
	add_job $p "$t" env PCACHE_BIN="$PWD/$1" "$t"
done

# Start the jobs by priority, at most $lanes at a time, each in a process
# group of its own (job control) so that stop_jobs can end all of it.
order=$(for i in "${!names[@]}"; do echo "${prio[$i]} $i"; done | sort -n -s -k1,1 |
	cut -d' ' -f2)
running=0
declare -A ended
shown=0		# jobs before this index are printed and counted

# Print and count, in the order the jobs were added, every job whose
# predecessors have all ended: the log streams while the run goes on.
show_ended() {
	local sec
	while [ "$shown" -lt "${#names[@]}" ] && [ -n "${ended[$shown]:-}" ]; do
		echo "# ---- ${names[$shown]}"
		touch "$out_dir/$shown.tap"
		count "${names[$shown]}" <"$out_dir/$shown.tap"
		sec=$(cat "$out_dir/$shown.time" 2>/dev/null || echo '?')
		echo "# ---- ${names[$shown]}: $sec s"
		timing+="#   $sec s  ${names[$shown]}"$'\n'
		shown=$((shown + 1))
	done
}

# Wait for one job to end. wait -n -p names it; a job that something else
# reaped first (wait then answers 127) is found by polling.
reap() {
	local pid= p j
	wait -n -p pid 2>/dev/null
	if [ -z "$pid" ] || [ -z "${job_of[$pid]:-}" ]; then
		pid=
		while [ -z "$pid" ]; do
			for p in "${!job_of[@]}"; do
				kill -0 "$p" 2>/dev/null || { pid=$p; break; }
			done
			[ -n "$pid" ] || sleep 1
		done
		wait "$pid" 2>/dev/null
	fi
	j=${job_of[$pid]}
	unset "job_of[$pid]"
	ended[$j]=1
	echo "# ended: ${names[$j]} ($(cat "$out_dir/$j.time" 2>/dev/null || echo '?') s)"
	running=$((running - 1))
	show_ended
}

set -m
for i in $order; do
	while [ "$running" -ge "$lanes" ]; do reap; done
	echo "# started: ${names[$i]}"
	start_job "$i"
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do reap; done
set +m

printf '# time per suite:\n%s' "$timing"
if [ -s "$todo_log" ]; then
	echo "# known failures (TAP TODO, not counted as failed): $todo"
	sed 's/^/#   /' "$todo_log"
fi
if [ -s "$log" ]; then
	echo "# failures:"
	sed 's/^/#   /' "$log"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
