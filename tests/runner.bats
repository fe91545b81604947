#!/usr/bin/env bats
# tests/run.sh: a suite that crashes or stops before its plan is a failure,
# not the sum of its "ok" lines. Runs run.sh in a scratch tree holding only
# fake unit tests (no bats files, no *.tap.sh).

load helpers

setup() {
	T=$(mktemp -d)
	mkdir -p "$T/tests" "$T/b/unit"
	cp "$REPO/tests/run.sh" "$T/tests/"
}

teardown() {
	rm -rf "$T"
}

unit() {	# unit NAME BODY: a fake unit test printing BODY's output
	printf '#!/bin/sh\n%s\n' "$2" > "$T/b/unit/test_$1"
	chmod +x "$T/b/unit/test_$1"
}

@test "run.sh: complete suites count their ok lines only" {
	unit a 'echo "ok 1 - x"; echo "ok 2 - y"; echo 1..2'
	unit b 'echo 1..1; echo "ok 1 - z"'
	run "$T/tests/run.sh" b
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "3 passed, 0 failed" ]
}

@test "run.sh: a crash after two ok lines is one failure, named" {
	unit crash 'echo "ok 1 - x"; echo "ok 2 - y"; kill -SEGV $$'
	run "$T/tests/run.sh" b
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "2 passed, 1 failed" ]
	echo "$output" | grep -q '^#   b unit test_crash: suite failed: no TAP plan (1..N) after 2 tests, exit 139$'
}

@test "run.sh: a plan announced first and not met is one failure" {
	unit short 'echo 1..3; echo "ok 1 - x"; exit 0'
	run "$T/tests/run.sh" b
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "1 passed, 1 failed" ]
	echo "$output" | grep -q 'test_short: suite failed: plan 1..3 not met: 1 tests ran, exit 0$'
}

@test "run.sh: a non-zero exit with every test passed is one failure" {
	unit rc 'echo "ok 1 - x"; echo 1..1; exit 3'
	run "$T/tests/run.sh" b
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "1 passed, 1 failed" ]
	echo "$output" | grep -q 'test_rc: suite failed: exit 3 although every test passed$'
}

@test "run.sh: a failing test is counted once, not again for the exit code" {
	unit f 'echo "ok 1 - x"; echo "not ok 2 - y"; echo 1..2; exit 1'
	run "$T/tests/run.sh" b
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "1 passed, 1 failed" ]
	[ "$(echo "$output" | grep -c 'suite failed')" -eq 0 ]
}

@test "run.sh: a TODO test is listed as known, not counted as failed" {
	unit t 'echo "ok 1 - x"; echo "not ok 2 - y # TODO known"; echo 1..2'
	run "$T/tests/run.sh" b
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "1 passed, 0 failed" ]
	echo "$output" | grep -q '^# known failures (TAP TODO, not counted as failed): 1$'
	echo "$output" | grep -q '^#   b unit test_t: not ok 2 - y # TODO known$'
}

@test "run.sh: two lanes run suites side by side, printed in a fixed order" {
	# a waits for a file that only b, started beside it, makes
	unit a "for i in \$(seq 100); do [ -f $T/flag ] && break; sleep 0.1; done
[ -f $T/flag ] && echo 'ok 1 - a saw b' || echo 'not ok 1 - a saw b'; echo 1..1"
	unit b "touch $T/flag; echo 'ok 1 - b'; echo 1..1"
	PCACHE_LANES=2 run "$T/tests/run.sh" b
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "2 passed, 0 failed" ]
	[ "$(echo "$output" | grep -c '^# started: ')" -eq 2 ]
	[ "$(echo "$output" | grep '^ok ' | tr '\n' '|')" = "ok 1 - a saw b|ok 1 - b|" ]
}

@test "run.sh: one lane runs the suites one after the other" {
	unit a "[ -f $T/flag ] && echo 'ok 1 - a after b' || echo 'not ok 1 - a after b'; echo 1..1"
	unit b "touch $T/flag; echo 'ok 1 - b'; echo 1..1"
	PCACHE_LANES=1 run "$T/tests/run.sh" b
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = "1 passed, 1 failed" ]
	echo "$output" | grep -q '^#   b unit test_a: not ok 1 - a after b$'
}

@test "run.sh: a killed run ends the suites it started, children included" {
	unit a "sleep 4711; echo 'ok 1'; echo 1..1"
	"$T/tests/run.sh" b >"$T/out" 2>&1 &
	pid=$!
	for i in $(seq 50); do pgrep -f 'sleep 4711' >/dev/null && break; sleep 0.1; done
	pgrep -f 'sleep 4711' >/dev/null
	kill -TERM "$pid"
	wait "$pid" || true
	sleep 0.5
	! pgrep -f 'sleep 4711'
}
