#!/usr/bin/env bats
# Bash completions stay true to the code: for every tool, the long options
# completion offers are exactly the ones the tool's --help lists.

load helpers

setup() {
	[ -f /usr/share/bash-completion/bash_completion ] ||
		skip "bash-completion is not installed"
}

# Long options completion offers for the command line "$@ --".
offered() {
	bash -c '
		. /usr/share/bash-completion/bash_completion
		. "$1"
		shift
		COMP_WORDS=("$@" "--")
		COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
		COMP_LINE="${COMP_WORDS[*]}"
		COMP_POINT=${#COMP_LINE}
		fn=$(complete -p "$1" | sed "s/.*-F \([^ ]*\) .*/\1/")
		"$fn" "$1" "--" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "$REPO/completions/$1" "$@" | grep -- '^--' | sort -u
}

# Long options --help lists ("--usage" is popt's own short synopsis).
listed() {
	"$PCACHE_BIN/$1" "${@:2}" --help | grep -oE -- '--[a-z][a-z-]*' |
		grep -vx -- '--usage' | sort -u
}

check_tool() {
	diff <(offered "$@") <(listed "$@")
}

@test "pcache-format completion offers exactly its options" {
	check_tool pcache-format
}

@test "pcache-fsck completion offers exactly its options" {
	check_tool pcache-fsck
}

@test "pcache-dump completion offers exactly its options" {
	check_tool pcache-dump
}

@test "pcache-writeback completion offers exactly its options" {
	check_tool pcache-writeback
}

@test "pcache-bench io completion offers exactly its options" {
	check_tool pcache-bench io
}

@test "pcache-bench lib completion offers exactly its options" {
	check_tool pcache-bench lib
}

@test "pcache completion offers exactly each subcommand's options" {
	for sub in create remove status list set wait activate deactivate is-backing; do
		check_tool pcache "$sub" || { echo "pcache $sub differs"; false; }
	done
}

@test "pcache-metadump completion offers exactly its options" {
	check_tool pcache-metadump
}
