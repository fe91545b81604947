# Shared bats helpers. PCACHE_BIN points at a build tree (build/ or
# build-san/); fixtures come from ../shared/fixtures beside the repository.

: "${PCACHE_BIN:=$BATS_TEST_DIRNAME/../build}"
REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
FIXTURES=${PCACHE_FIXTURES:-$REPO/../shared/fixtures}
FIXTURE_CACHE=${PCACHE_FIXTURE_CACHE:-${TMPDIR:-/tmp}/pcache-fixtures-$(id -u)}

# Path of a decompressed fixture (read-only use; copy before writing).
fixture() {
	local name=$1 out=$FIXTURE_CACHE/$1
	if [ ! -f "$out" ]; then
		mkdir -p "$FIXTURE_CACHE"
		zstd -q -d -f "$FIXTURES/$name.zst" -o "$out.tmp.$$" &&
			mv "$out.tmp.$$" "$out"
	fi
	echo "$out"
}

have_fixtures() {
	[ -f "$FIXTURES/kfresh.pmem.zst" ]
}

# A sparse file of the given size (truncate syntax).
sparse() {
	rm -f "$1"
	truncate -s "$2" "$1"
}

sum() {
	sha256sum "$1" | cut -d' ' -f1
}

# Hex of LEN bytes at OFFSET of FILE, without spaces.
bytes_at() {
	od -An -tx1 -v -j "$2" -N "$3" "$1" | tr -d ' \n'
}

# A JSON field by a python expression on the document "d".
json() {
	python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
