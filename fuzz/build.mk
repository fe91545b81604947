# fuzz/build.mk - libFuzzer targets, built with clang into $(FUZZ_DIR) by
# tools/fuzz.sh (`make fuzz`) and tests/fuzz.tap.sh (`make check`).
# Included by the top-level Makefile.
#
#   fuzz_fsck       the checker (lib/check) over any image
#   fuzz_replay     pc_cache_open, the log walk, pc_replay (lib/)
#   fuzz_resolve    pc_resolve against a naive painter
#   fuzz_dump       pcache-dump's main() and every section
#   fuzz_writeback  pcache-writeback --dry-run: the plan and its report
#   fuzz_status     the dm-pcache status line (cmd/common/pcstatus.c) and
#                   pcache-bench's sampler of it (dmstat.c)
#   fuzz_metadump   the pcache-metadump capture reader
#   fuzz_pcachetab  the pcachetab(5) parser (cmd/pcache/tab.c)
#
# Seeds and regression inputs of each target: fz_seeds in fuzz/seeds.sh. The corpus in fuzz/corpus/fsck is also replayed by
# the unit test tests/unit/test_fuzz_replay.c (gcc, plain and ASan+UBSan).

FUZZ_DIR     ?= $(BUILD)-fuzz
FUZZ_CC      ?= clang
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -g -O1 -std=gnu11 $(WARN) $(FUZZ_SAN) -fno-omit-frame-pointer
# every fuzz/fuzz_NAME.c is a target; fuzz_NAME_OBJS what it links beside
# (default: the library)
FUZZ_TARGETS := $(patsubst fuzz/fuzz_%.c,%,$(sort $(wildcard fuzz/fuzz_*.c)))

FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_CLI_OBJS := $(CLI_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
# A command's main() is renamed so that the target can call it.
FUZZ_TOOL_OBJS = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(wildcard cmd/$(1)/*.c))

fuzz_dump_OBJS      := $(call FUZZ_TOOL_OBJS,pcache-dump) $(FUZZ_CLI_OBJS) \
                       $(FUZZ_LIB_OBJS)
fuzz_writeback_OBJS := $(call FUZZ_TOOL_OBJS,pcache-writeback) $(FUZZ_CLI_OBJS) \
                       $(FUZZ_LIB_OBJS)
fuzz_status_OBJS    := $(FUZZ_DIR)/obj/cmd/pcache-bench/dmstat.o \
                       $(FUZZ_DIR)/obj/cmd/common/pcstatus.o
fuzz_status_LIBS    := -ldevmapper
fuzz_metadump_OBJS  := $(FUZZ_DIR)/obj/cmd/pcache-metadump/mdfile.o \
                       $(FUZZ_CLI_OBJS) $(FUZZ_LIB_OBJS)
fuzz_metadump_LIBS  := -lzstd
# tab.c uses pcache's name rule (create.c): the whole tool, main() renamed
fuzz_pcachetab_OBJS := $(call FUZZ_TOOL_OBJS,pcache) \
                       $(FUZZ_DIR)/obj/cmd/pcache-format/safety.o \
                       $(FUZZ_DIR)/obj/cmd/pcache-format/dax.o \
                       $(FUZZ_CLI_OBJS) $(FUZZ_LIB_OBJS)
fuzz_pcachetab_LIBS := -lblkid -ldevmapper -lkmod -lndctl
$(FUZZ_DIR)/obj/cmd/pcache/main.o: FUZZ_DEFS := -Dmain=pcfz_pcache_main
$(FUZZ_DIR)/obj/fuzz/fuzz_metadump.o: FUZZ_DEFS := -Icmd/pcache-metadump

$(FUZZ_DIR)/obj/cmd/pcache-dump/main.o: FUZZ_DEFS := -Dmain=pcfz_dump_main
$(FUZZ_DIR)/obj/cmd/pcache-writeback/main.o: FUZZ_DEFS := -Dmain=pcfz_writeback_main

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) -Ifuzz $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
		$(FUZZ_DEFS) -MMD -c -o $@ $<

define fuzz_target
$(FUZZ_DIR)/fuzz_$(1): $(FUZZ_DIR)/obj/fuzz/fuzz_$(1).o \
		$$(or $$(fuzz_$(1)_OBJS),$$(FUZZ_LIB_OBJS))
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -fsanitize=fuzzer -o $$@ $$^ \
		$$(fuzz_$(1)_LIBS) $$(LDLIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target,$(t))))

.PHONY: fuzz-build
fuzz-build: $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))

-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
