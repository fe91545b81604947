# fuzz/seeds.sh - sourced by tools/fuzz.sh and tests/fuzz.tap.sh (from the
# repository root).
#
# fz_targets: every libFuzzer target (fuzz/fuzz_NAME.c -> NAME).
# fz_seeds NAME: the directories of inputs NAME starts from and that the
# corpus replay runs: its seed corpus (the targets that take a cache image
# share fuzz/corpus/fsck, see fuzz/fz_image.h, and fuzz/regress/fsck) and
# its saved findings, fuzz/regress/NAME/ (one file per crash fixed, kept
# forever).

fz_targets() {
	for f in fuzz/fuzz_*.c; do
		f=${f#fuzz/fuzz_}
		echo "${f%.c}"
	done
}

fz_seeds() {
	if grep -q '"fz_image.h"' "fuzz/fuzz_$1.c"; then
		# the same image layout: the checker's findings serve them all
		echo fuzz/corpus/fsck
		[ "$1" = fsck ] || [ ! -d fuzz/regress/fsck ] || echo fuzz/regress/fsck
	elif [ -d "fuzz/corpus/$1" ]; then
		echo "fuzz/corpus/$1"
	fi
	if [ -d "fuzz/regress/$1" ]; then
		echo "fuzz/regress/$1"
	fi
}
