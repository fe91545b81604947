#!/usr/bin/env python3
"""Write the small hand-made seeds of the targets that do not take an image.

    fuzz/mkseeds.py        (from the repository root)

fuzz/corpus/resolve: key lists in fuzz_resolve.c's record layout (nested,
chained, identical and stale keys, and ranges near 2^64).
fuzz/corpus/status: dm-pcache status lines (FORMAT.md 14.3) as the module
prints them, one sample per line, and a few malformed ones.
The image targets share fuzz/corpus/fsck (fuzz/mkcorpus.py).
"""
import os
import struct

KEYS = {
    "nested": (0, [(0, 4095, 0), (100, 200, 0), (150, 10, 0)]),
    "chain": (0, [(i * 100, 150, i & 4) for i in range(40)]),
    "same": (0, [(512, 1024, 0)] * 4 + [(512, 1024, 2)]),
    "stale": (0, [(0, 1000, 0), (10, 100, 1), (500, 4000, 5)]),
    "high": (1, [(39000, 1000, 0), (39500, 600, 0), (30000, 4095, 4)]),
    "empty": (0, []),
}

STATUS = {
    "fresh": ["0 63 63 1 70 1182 0:0 0:0 0:0"],
    "moving": ["0 63 63 1 70 1182 0:0 0:0 0:0",
               "0 63 63 4 70 1182 2:10288 0:5144 0:0",
               "0 63 63 4 70 1182 3:16764000 1:0 1:0",
               "0 63 63 2 70 1182 3:24 3:24 2:0"],
    "bigendian": ["1 31 31 31 90 3 30:16764928 0:0 0:0"],
    "bad": ["", "0 63", "x y z", "0 63 63 1 70 1182 0:0 0:0 0",
            "0 63 63 1 70 1182 4294967295:4294967295 0:0 0:0"],
}


def main():
    os.makedirs("fuzz/corpus/resolve", exist_ok=True)
    os.makedirs("fuzz/corpus/status", exist_ok=True)
    for name, (mode, keys) in KEYS.items():
        data = bytes([mode])
        for i, (off, length, flags) in enumerate(keys):
            data += struct.pack("<HHBBH", off, length, flags, i % 7, i * 64)
        with open("fuzz/corpus/resolve/" + name, "wb") as f:
            f.write(data)
    for name, lines in STATUS.items():
        with open("fuzz/corpus/status/" + name, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
