# Extra link flags for build/pcache-fsck (included by the top-level Makefile):
# nothing beyond libpcache and cmd/common.
pcache-fsck_LIBS :=
