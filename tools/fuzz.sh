#!/bin/sh
# tools/fuzz.sh BUILD_DIR [SECONDS] - build the libFuzzer targets with clang
# (-fsanitize=fuzzer,address,undefined) into BUILD_DIR and run each for
# SECONDS (default $FUZZ_SECONDS or 60) from its seeds (fuzz/seeds.sh).
# FUZZ_TARGETS="a b" runs only those. New inputs stay in
# BUILD_DIR/corpus-*; crashes are written to BUILD_DIR as
# NAME-crash-* and make the script fail (save them under fuzz/regress/NAME/
# once fixed). The tools' own messages are silenced (-close_fd_mask=3);
# libFuzzer's and the sanitizers' reports are not. Called by `make fuzz`.
set -eu
cd "$(dirname "$0")/.."
. fuzz/seeds.sh
dir=${1:-build-fuzz}
secs=${2:-${FUZZ_SECONDS:-60}}
targets=${FUZZ_TARGETS:-$(fz_targets)}

tools/install-deps.sh fsck
make --no-print-directory -j"$(nproc)" FUZZ_DIR="$dir" \
	$(for t in $targets; do echo "$dir/fuzz_$t"; done)

for t in $targets; do
	work=$dir/corpus-$t
	mkdir -p "$work"
	echo "fuzz: $t for ${secs}s (seeds $(fz_seeds "$t" | tr '\n' ' '))" >&2
	"$dir/fuzz_$t" -max_total_time="$secs" -timeout=20 -max_len=131072 \
		-rss_limit_mb=2048 -artifact_prefix="$dir/$t-" -print_final_stats=1 \
		-close_fd_mask=3 "$work" $(fz_seeds "$t")
done
