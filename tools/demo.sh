#!/bin/bash
# make demo: the main job end to end on a sparse image. Formats a 1 GiB
# cache image, fills it with dirty data through the library's log writer
# (as the kernel would after a crash), then checks, dumps, replays and
# writes it back offline onto a 256 MiB backing image.
set -euo pipefail
build=${1:-build}
dir=$build/demo
bin() { echo "$build/$1"; }
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { echo "\$ $*"; "$@"; }

mkdir -p "$dir"
cache=$dir/cache.img
backing=$dir/backing.img
rm -f "$cache" "$backing"
truncate -s 1G "$cache"
truncate -s 256M "$backing"

step "Format a 1 GiB sparse image as a dm-pcache cache device"
run "$(bin pcache-format)" --data-crc "$cache"
echo "(image uses $(du -k "$cache" | cut -f1) KiB on disk)"

if [ -x "$build/testtools/pcache-genlog" ]; then
	step "Write 8 MiB of dirty data into its log, as the kernel would"
	run "$build/testtools/pcache-genlog" --size 8M --backing-size 256M "$cache"
fi
if [ -x "$(bin pcache-fsck)" ]; then
	step "Check it (read-only)"
	run "$(bin pcache-fsck)" -n --verify-data --backing "$backing" "$cache" || true
fi
if [ -x "$(bin pcache-dump)" ]; then
	step "Dump the superblock and cache_info"
	run "$(bin pcache-dump)" --superblock "$cache"
	step "Replay the log: the extents the kernel would index"
	run "$(bin pcache-dump)" --replay --limit 10 "$cache"
fi
if [ -x "$(bin pcache-writeback)" ]; then
	step "Write the dirty data back offline"
	run "$(bin pcache-writeback)" "$cache" "$backing"
	[ -x "$(bin pcache-fsck)" ] && run "$(bin pcache-fsck)" -n --backing "$backing" "$cache"
fi
step "Done: images are in $dir"
