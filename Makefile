# pcache-tools top-level build.
#
#   make               build libpcache and every tool into $(BUILD)/
#   make check         install test dependencies, build (plain and with
#                      ASan+UBSan) and run every test; ends "N passed, N failed"
#   make demo          install dependencies, build, format/check/dump an image
#   make install       PREFIX=/usr/local DESTDIR=
#   make kernel        build the dm-pcache module in kernel/
#   make fuzz          build and run the libFuzzer targets for a short while
#
# Every directory cmd/<tool>/ becomes $(BUILD)/<tool>; cmd/<tool>/build.mk
# sets <tool>_LIBS, the libraries the tool uses beyond LDLIBS (libpcache's
# and cmd/common's); a tool without it gets TOOL_LIBS_ALL, every library
# any tool used before per-tool lists. Nothing is written outside $(BUILD)
# (default build/).

BUILD     ?= build
SANBUILD  ?= $(BUILD)-san
PREFIX    ?= /usr/local
DESTDIR   ?=
CC        ?= gcc
VERSION   := 0.1.0

WARN      := -Wall -Wextra -Werror
CPPFLAGS  += -D_GNU_SOURCE -Ilib -Ilib/layout -Ilib/dev -Ilib/check -Icmd/common
CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 $(WARN) -fPIC -pthread
# libpcache needs libpmem2 and pthreads, cmd/common popt and json-c
LDLIBS    := -lpopt -ljson-c -lpmem2 -lpthread
TOOL_LIBS_ALL := -lblkid -lndctl -lkmod -ldevmapper
SANFLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer

LIB_SRCS  := $(sort $(wildcard lib/*.c lib/dev/*.c lib/check/*.c))
LIB_HDRS  := lib/pcache.h lib/writer.h lib/layout/pcache_layout.h
TOOLS     := $(filter-out common,$(sort $(notdir $(patsubst %/,%,$(dir $(wildcard cmd/*/*.c))))))
CLI_SRCS  := $(wildcard cmd/common/*.c)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_AUX  := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
# tests/tools/NAME.c: one-file generators used by the tests -> $(BUILD)/testtools/NAME
TTOOL_SRCS := $(sort $(wildcard tests/tools/*.c))

-include $(wildcard cmd/*/build.mk) fuzz/build.mk

.SECONDARY:
.PHONY: all check check-build demo install uninstall kernel fuzz clean deps
all: $(BUILD)/libpcache.a $(BUILD)/libpcache.so $(BUILD)/libpcache.pc \
     $(addprefix $(BUILD)/,$(TOOLS)) $(BUILD)/unit.stamp

# ---- one build tree: $(1) = directory, $(2) = extra flags ----
define tree
# exact header dependencies come from the -MMD files included below
$(1)/obj/%.o: %.c
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) $$(CFLAGS) $(2) -MMD -c -o $$@ $$<

$(1)/libpcache.a: $$(LIB_SRCS:%.c=$(1)/obj/%.o)
	@rm -f $$@
	$$(AR) rcs $$@ $$^

$(1)/testtools/%: $(1)/obj/tests/tools/%.o $(1)/libpcache.a
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $(2) -o $$@ $$< $(1)/libpcache.a $$(LDLIBS)

$(1)/unit.stamp: $$(patsubst tests/unit/%.c,$(1)/unit/%,$$(UNIT_SRCS)) \
		$$(patsubst tests/tools/%.c,$(1)/testtools/%,$$(TTOOL_SRCS))
	@touch $$@

$(1)/tools.stamp: $$(addprefix $(1)/,$$(TOOLS)) $(1)/unit.stamp
	@touch $$@
endef

# $(1) = directory, $(2) = extra flags, $(3) = tool
define tool
$(1)/$(3): $$(patsubst %.c,$(1)/obj/%.o,$$(wildcard cmd/$(3)/*.c) $$(CLI_SRCS)) $(1)/libpcache.a
	$$(CC) $$(CFLAGS) $(2) -o $$@ $$(filter %.o,$$^) $(1)/libpcache.a \
		$$(if $$(filter undefined,$$(origin $(3)_LIBS)),$$(TOOL_LIBS_ALL),$$($(3)_LIBS)) \
		$$(LDLIBS)
endef

# $(1) = directory, $(2) = extra flags, $(3) = unit test source
define unit
$(1)/unit/$(basename $(notdir $(3))): $(1)/obj/$(3:.c=.o) $$(UNIT_AUX:%.c=$(1)/obj/%.o) $(1)/libpcache.a
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $(2) -o $$@ $$(filter %.o,$$^) $(1)/libpcache.a $$(LDLIBS)
endef

# $(1) = directory, $(2) = extra flags
define all_rules
$(eval $(call tree,$(1),$(2)))
$(foreach t,$(TOOLS),$(eval $(call tool,$(1),$(2),$(t))))
$(foreach u,$(UNIT_SRCS),$(eval $(call unit,$(1),$(2),$(u))))
endef
$(eval $(call all_rules,$(BUILD),))
$(eval $(call all_rules,$(SANBUILD),$(SANFLAGS)))

$(BUILD)/libpcache.so: $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
	$(CC) -shared -Wl,-soname,libpcache.so.0 -o $@ $^ -lpmem2 -lpthread

$(BUILD)/libpcache.pc: lib/libpcache.pc.in
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@VERSION@|$(VERSION)|' $< > $@

deps:
	tools/install-deps.sh base bench dump

JOBS      ?= $(shell nproc 2>/dev/null || echo 2)

check-build: deps
	$(MAKE) --no-print-directory -j$(JOBS) all $(SANBUILD)/tools.stamp

check: check-build
	@tests/run.sh $(BUILD) $(SANBUILD)

demo: deps
	$(MAKE) --no-print-directory -j$(JOBS) all
	@tools/demo.sh $(BUILD)

kernel:
	$(MAKE) -C kernel

fuzz: deps
	@tools/fuzz.sh $(BUILD)-fuzz

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/pcache $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(addprefix $(BUILD)/,$(TOOLS)) $(DESTDIR)$(PREFIX)/sbin/
	install -m 644 $(BUILD)/libpcache.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libpcache.so $(DESTDIR)$(PREFIX)/lib/libpcache.so.0
	ln -sf libpcache.so.0 $(DESTDIR)$(PREFIX)/lib/libpcache.so
	install -m 644 $(BUILD)/libpcache.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 644 $(LIB_HDRS) $(DESTDIR)$(PREFIX)/include/pcache/
	for t in $(TOOLS); do \
		[ ! -f cmd/$$t/$$t.8 ] || install -m 644 cmd/$$t/$$t.8 $(DESTDIR)$(PREFIX)/share/man/man8/; \
		[ ! -f completions/$$t ] || install -m 644 completions/$$t $(DESTDIR)$(PREFIX)/share/bash-completion/completions/; \
	done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/sbin/,$(TOOLS)) \
		$(DESTDIR)$(PREFIX)/lib/libpcache.* $(DESTDIR)$(PREFIX)/lib/pkgconfig/libpcache.pc
	rm -rf $(DESTDIR)$(PREFIX)/include/pcache

clean:
	rm -rf $(BUILD) $(SANBUILD) $(BUILD)-fuzz
	-$(MAKE) -C kernel clean 2>/dev/null

-include $(shell find $(BUILD) $(SANBUILD) -name '*.d' 2>/dev/null)
