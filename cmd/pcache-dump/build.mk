# Extra link flags for build/pcache-dump (included by the top-level Makefile):
# nothing beyond libpcache and cmd/common.
pcache-dump_LIBS :=
