# Extra link flags for build/pcache-writeback (included by the top-level Makefile):
# nothing beyond libpcache and cmd/common.
pcache-writeback_LIBS :=
