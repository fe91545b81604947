# build/pcache (included by the top-level Makefile). create --format makes
# exactly pcache-format's refusals: its safety and DAX checks are linked in.
PCACHE_FMT_OBJS := cmd/pcache-format/safety.o cmd/pcache-format/dax.o
$(BUILD)/pcache: $(addprefix $(BUILD)/obj/,$(PCACHE_FMT_OBJS))
$(SANBUILD)/pcache: $(addprefix $(SANBUILD)/obj/,$(PCACHE_FMT_OBJS))
