#!/bin/bash
# Run every test suite against each build tree given (plain, sanitized) and
# print one closing line: "N passed, N failed".
#
#   tests/run.sh BUILD [BUILD...]
#
# Suites: C unit tests ($BUILD/unit/*), bats files (tests/*.bats, with
# PCACHE_BIN=$BUILD) and, once, every tests/**/*.tap.sh (e.g. the kernel
# tests in qemu). All speak TAP; this script counts "ok"/"not ok" lines.
# PCACHE_SKIP_KERNEL=1 leaves out the qemu tests (quick local runs only).
# PCACHE_SUITES="X.tap.sh ..." runs only those TAP scripts (make check-upstream).
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
timing=
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() {	# $1: suite name; TAP on stdin
	local line
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case "$line" in
		"not ok "*) failed=$((failed + 1)); echo "$1: $line" >> "$log" ;;
		"ok "*) passed=$((passed + 1)) ;;
		esac
	done
}

run_suite() {	# $1: name, rest: command producing TAP
	local name=$1 start=$SECONDS
	shift
	echo "# ---- $name"
	count "$name" < <("$@" 2>&1; echo "# exit $?")
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
if [ -s "$log" ]; then
	echo "# failures:"
	sed 's/^/#   /' "$log"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
