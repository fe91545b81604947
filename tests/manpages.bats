#!/usr/bin/env bats
# Man pages stay true to the code: every long option a tool's --help lists
# is documented in its man page, which also has an EXIT STATUS section.

load helpers

# Long options of "$@ --help" missing from man page $1.8 (troff source).
undocumented() {
	local page=$REPO/cmd/$1/$1.8 text
	text=$(sed 's/\\//g' "$page")
	"$PCACHE_BIN/$1" "${@:2}" --help | grep -oE -- '--[a-z][a-z-]*' |
		grep -vx -- '--usage' | sort -u | while read -r opt; do
		grep -q -- "$opt" <<< "$text" || echo "$opt"
	done
}

check_page() {
	run undocumented "$@"
	[ "$status" -eq 0 ]
	[ -z "$output" ] || { echo "undocumented: $output"; false; }
	grep -q '^\.SH EXIT STATUS' "$REPO/cmd/$1/$1.8"
}

@test "pcache-format(8) documents every option" {
	check_page pcache-format
}

@test "pcache-fsck(8) documents every option" {
	check_page pcache-fsck
}

@test "pcache-dump(8) documents every option" {
	check_page pcache-dump
}

@test "pcache-writeback(8) documents every option" {
	check_page pcache-writeback
}

@test "pcache-bench(8) documents every io and lib option" {
	check_page pcache-bench io
	check_page pcache-bench lib
}

@test "pcache(8) documents every option of every subcommand" {
	for sub in create remove status list set wait activate deactivate is-backing; do
		check_page pcache "$sub"
	done
	# pcachetab(5) describes every option the parser takes
	for o in data_crc gc_percent nofail noauto x-systemd.device-timeout \
		 UUID= PARTUUID= pcache=off; do
		sed 's/\\//g' "$REPO/cmd/pcache/pcachetab.5" | grep -q -- "$o" ||
			{ echo "pcachetab(5) lacks $o"; false; }
	done
}

@test "pcache-metadump(8) documents every option" {
	check_page pcache-metadump
}
