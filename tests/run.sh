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
trap 'rm -f "$log" "$todo_log"' EXIT

# The last line of every suite's stream, written by run_suite: its exit code.
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

run_suite() {	# $1: name, rest: command producing TAP
	local name=$1 start=$SECONDS
	shift
	echo "# ---- $name"
	count "$name" < <("$@" 2>&1; echo "$EXIT_MARK $?")
	echo "# ---- $name: $((SECONDS - start)) s"
	timing+="#   $((SECONDS - start)) s  $name"$'\n'
}

for build in "$@"; do
	[ -n "${PCACHE_SUITES:-}" ] && break
	export PCACHE_BIN=$PWD/$build
	for t in "$build"/unit/test_*; do
		[ -x "$t" ] && run_suite "$build unit $(basename "$t")" "$t"
	done
	bats_files=$(ls tests/*.bats 2>/dev/null)
	if [ -n "$bats_files" ]; then
		run_suite "$build bats" bats --tap $bats_files
	fi
done
for t in ${PCACHE_SUITES:-$(find tests -name '*.tap.sh' -perm -u+x | sort)}; do
	[ -n "${PCACHE_SKIP_KERNEL:-}" ] && case $t in tests/kernel/*) continue ;; esac
	export PCACHE_BIN=$PWD/$1
	run_suite "$t" "$t"
done

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
