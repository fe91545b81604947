# fuzz/build.mk - libFuzzer targets, built with clang by tools/fuzz.sh
# (`make fuzz`). Included by the top-level Makefile.
#
#   $(FUZZ_DIR)/fuzz_fsck   the checker (lib/check) over any bytes
#   $(FUZZ_DIR)/fuzz_metadump  the pcache-metadump capture reader
#
# The corpus in fuzz/corpus/fsck is also replayed by the unit test
# tests/unit/test_fuzz_replay.c (gcc, plain and ASan+UBSan) in `make check`.

FUZZ_DIR    ?= $(BUILD)-fuzz
FUZZ_CC     ?= clang
FUZZ_CFLAGS := -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=undefined -fno-omit-frame-pointer

$(FUZZ_DIR)/fuzz_fsck: fuzz/fuzz_fsck.c $(LIB_SRCS) $(LIB_HDRS) \
		$(wildcard lib/check/*.h lib/dev/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ fuzz/fuzz_fsck.c \
		$(LIB_SRCS) -lpmem2 -lpthread

$(FUZZ_DIR)/fuzz_metadump: fuzz/fuzz_metadump.c cmd/pcache-metadump/mdfile.c \
		cmd/pcache-metadump/mdfile.h $(CLI_SRCS) $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) -Icmd/pcache-metadump $(FUZZ_CFLAGS) -o $@ \
		fuzz/fuzz_metadump.c cmd/pcache-metadump/mdfile.c $(CLI_SRCS) \
		$(LIB_SRCS) -lzstd -ljson-c -lpopt -lpmem2 -lpthread
