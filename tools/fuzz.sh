#!/bin/sh
# tools/fuzz.sh BUILD_DIR [SECONDS] - build the libFuzzer targets with clang
# (-fsanitize=fuzzer,address,undefined) into BUILD_DIR and run each for
# SECONDS (default $FUZZ_SECONDS or 60) over a copy of its seed corpus.
# New inputs stay in BUILD_DIR/corpus-*; crashes are written to BUILD_DIR
# as crash-* and make the script fail. Called by `make fuzz`.
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build-fuzz}
secs=${2:-${FUZZ_SECONDS:-60}}

tools/install-deps.sh fsck
make --no-print-directory FUZZ_DIR="$dir" "$dir/fuzz_fsck" \
	"$dir/fuzz_metadump"

for t in fsck metadump; do
	work=$dir/corpus-$t
	mkdir -p "$work"
	echo "fuzz: $t for ${secs}s (seed corpus fuzz/corpus/$t)" >&2
	"$dir/fuzz_$t" -max_total_time="$secs" -timeout=20 -max_len=131072 \
		-rss_limit_mb=2048 -artifact_prefix="$dir/" -print_final_stats=1 \
		"$work" "fuzz/corpus/$t"
done
