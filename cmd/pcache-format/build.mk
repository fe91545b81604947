# Extra link flags for build/pcache-format (included by the top-level Makefile):
# libblkid for the signature probe, libndctl for the namespace mode check.
pcache-format_LIBS := -lblkid -lndctl
