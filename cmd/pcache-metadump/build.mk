# Extra link flags for build/pcache-metadump (included by the top-level
# Makefile): the capture body is zstd-compressed (libzstd-dev, tools/deps/base.txt).
pcache-metadump_LIBS := -lzstd
