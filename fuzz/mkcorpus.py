#!/usr/bin/env python3
"""Turn a cache image into a compact seed for fuzz/fuzz_fsck.c.

    fuzz/mkcorpus.py IMAGE OUT [MODE]

Keeps the 20 KiB header, the four dual-slot records of each segment and the
first 4 KiB of each data area up to the last one that is not all zero (see
the input layout in fuzz_fsck.c). MODE is byte 0: default 0x15 (512 MiB,
--verify-data, 256 MiB backing); use 0x16 for a 1 GiB image.

fuzz/corpus/fsck/mut-KIND-SEED are mutated kcrc-crash fixtures:
    build/testtools/pcache-mutate kcrc-crash.pmem M KIND SEED
    fuzz/mkcorpus.py M fuzz/corpus/fsck/mut-KIND-SEED 0x16
"""
import struct
import sys

HDR, SEG0, SEG, DATA = 20480, 20480, 16 << 20, 12288


def main():
    img, out = sys.argv[1], sys.argv[2]
    mode = int(sys.argv[3], 0) if len(sys.argv) > 3 else 0x15
    with open(img, "rb") as f:
        hdr = bytearray(f.read(HDR))
        seg_num = struct.unpack_from("<I", hdr, 4096 + 16)[0]
        nseg = min(seg_num, 255)
        recs, pieces = [], []
        for p in range(nseg):
            base = SEG0 + p * SEG
            rec = b""
            for off, n in ((0, 16), (4096, 16), (8192, 32)):
                f.seek(base + off)
                rec += f.read(n)
            recs.append(rec)
            f.seek(base + DATA)
            pieces.append(f.read(4096))
    while pieces and not any(pieces[-1]):
        pieces.pop()
    hdr[0] = mode
    hdr[1] = nseg
    with open(out, "wb") as f:
        f.write(hdr + b"".join(recs) + b"".join(pieces))


if __name__ == "__main__":
    main()
