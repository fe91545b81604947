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

# Debian's interpreter, not a (slow) pyenv shim, when there is one.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# sha256 of a file's content, read from its data extents only
# (SEEK_DATA/SEEK_HOLE): every non-zero 4 KiB block is hashed with its
# offset, so equal content gives equal sums whatever the allocation, and a
# sparse image of any size is summed in the time its data takes.
sum() {
	"$PY" - "$1" <<'PYEOF'
import hashlib, os, sys
h = hashlib.sha256()
fd = os.open(sys.argv[1], os.O_RDONLY)
size = os.fstat(fd).st_size
h.update(str(size).encode())
zero = bytes(1 << 20)
off = 0
while off < size:
    try:
        start = os.lseek(fd, off, os.SEEK_DATA)
    except OSError:
        break
    start &= ~4095
    end = os.lseek(fd, start, os.SEEK_HOLE)
    pos = start
    while pos < end:
        b = os.pread(fd, min(end - pos, 1 << 20), pos)
        if not b:
            break
        if b != zero[:len(b)]:
            for i in range(0, len(b), 4096):
                blk = b[i:i + 4096]
                if blk.count(0) != len(blk):
                    h.update(b"@%d:" % (pos + i))
                    h.update(blk)
        pos += len(b)
    off = max(end, start + 4096)
print(h.hexdigest())
PYEOF
}

# Hex of LEN bytes at OFFSET of FILE, without spaces.
bytes_at() {
	od -An -tx1 -v -j "$2" -N "$3" "$1" | tr -d ' \n'
}

# A JSON field by a python expression on the document "d".
json() {
	"$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# Hold block device $1 open exclusively in the background, the way
# device-mapper or a mount does; HOLDER gets the holder's pid (kill it in
# teardown).
hold_exclusively() {
	local ready=$BATS_TEST_TMPDIR/held.$$
	"$PY" -c 'import os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL)
print("held", flush=True)
time.sleep(60)' "$1" > "$ready" &
	HOLDER=$!
	for _ in $(seq 50); do
		[ -s "$ready" ] && return 0
		sleep 0.1
	done
	return 1
}
