# pcache-tools top-level build.
#
#   make               build libpcache and every tool into $(BUILD)/
#   make check         install test dependencies, build (plain and with
#                      ASan+UBSan) and run every test; ends "N passed, N failed"
#   make check-upstream  cross-check against the kernel's own dm-pcache
#                      (built from Debian sid's linux-source; qemu)
#   make demo          install dependencies, build, format/check/dump an image
#   make install       PREFIX=/usr/local DESTDIR=
#   make kernel        build the dm-pcache module in kernel/
#   make deb           Debian packages into $(BUILD)/deb/ (see debian/README)
#   make check-deb     build them, install, use and purge them in a bookworm
#                      chroot (tests/deb/deb.tap.sh, also part of make check)
#   make fuzz          build and run the libFuzzer targets for a short while
#
# Every directory cmd/<tool>/ becomes $(BUILD)/<tool>; cmd/<tool>/build.mk
# sets <tool>_LIBS, the libraries the tool uses beyond LDLIBS (libpcache's
# and cmd/common's); a tool without it gets TOOL_LIBS_ALL, every library
# any tool used before per-tool lists. Nothing is written outside $(BUILD)
# (default build/). The version of everything (tools, library, man pages,
# module, packages) is the one line of the file VERSION.

BUILD     ?= build
SANBUILD  ?= $(BUILD)-san
PREFIX    ?= /usr/local
LIBDIR    ?= $(PREFIX)/lib
DESTDIR   ?=
CC        ?= gcc
VERSION   := $(shell cat VERSION)
# pcache's systemd generator and udev rule go where systemd and udev look
GENERATORDIR ?= /usr/lib/systemd/system-generators
UDEVRULESDIR ?= /usr/lib/udev/rules.d

WARN      := -Wall -Wextra -Werror
CPPFLAGS  += -D_GNU_SOURCE -Ilib -Ilib/layout -Ilib/dev -Ilib/check -Icmd/common \
             -DPCACHE_TOOLS_VERSION='"$(VERSION)"'
CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 $(WARN) -fPIC -pthread
# libpcache needs libpmem2 and pthreads, cmd/common popt and json-c
LDLIBS    := -lpopt -ljson-c -lpmem2 -lpthread
TOOL_LIBS_ALL := -lblkid -lndctl -lkmod -ldevmapper
SANFLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer

LIB_SRCS  := $(sort $(wildcard lib/*.c lib/dev/*.c lib/check/*.c))
LIB_HDRS  := lib/pcache.h lib/writer.h lib/layout/pcache_layout.h \
             lib/layout/pcache_rules.h
# cmd/*/NAME.8 -> $(BUILD)/man/NAME.8 with @VERSION@ filled in
MAN_SRCS  := $(sort $(wildcard cmd/*/*.8))
MAN5_SRCS := $(sort $(wildcard cmd/*/*.5))
MANPAGES  := $(addprefix $(BUILD)/man/,$(notdir $(MAN_SRCS)))
MAN5PAGES := $(addprefix $(BUILD)/man/,$(notdir $(MAN5_SRCS)))
TOOLS     := $(filter-out common,$(sort $(notdir $(patsubst %/,%,$(dir $(wildcard cmd/*/*.c))))))
CLI_SRCS  := $(wildcard cmd/common/*.c)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_AUX  := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
# tests/tools/NAME.c: one-file generators used by the tests -> $(BUILD)/testtools/NAME
TTOOL_SRCS := $(sort $(wildcard tests/tools/*.c))

# The included files define rules of their own (fuzz/build.mk): the goal of a
# plain `make` stays all.
.DEFAULT_GOAL := all
-include $(wildcard cmd/*/build.mk) fuzz/build.mk

.SECONDARY:
.PHONY: all check check-build check-upstream demo install uninstall kernel fuzz clean deps deb check-deb
all: $(BUILD)/libpcache.a $(BUILD)/libpcache.so $(BUILD)/libpcache.pc \
     $(addprefix $(BUILD)/,$(TOOLS)) $(BUILD)/unit.stamp $(MANPAGES) $(MAN5PAGES)

# ---- one build tree: $(1) = directory, $(2) = extra flags ----
define tree
# exact header dependencies come from the -MMD files included below;
# VERSION reaches the objects as -DPCACHE_TOOLS_VERSION
$(1)/obj/%.o: %.c VERSION
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) $$(CFLAGS) $(2) -MMD -c -o $$@ $$<

$(1)/libpcache.a: $$(LIB_SRCS:%.c=$(1)/obj/%.o)
	@rm -f $$@
	$$(AR) rcs $$@ $$^

$(1)/testtools/%: $(1)/obj/tests/tools/%.o $(1)/libpcache.a
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$< $(1)/libpcache.a $$(LDLIBS)

$(1)/unit.stamp: $$(patsubst tests/unit/%.c,$(1)/unit/%,$$(UNIT_SRCS)) \
		$$(patsubst tests/tools/%.c,$(1)/testtools/%,$$(TTOOL_SRCS))
	@touch $$@

$(1)/tools.stamp: $$(addprefix $(1)/,$$(TOOLS)) $(1)/unit.stamp
	@touch $$@
endef

# $(1) = directory, $(2) = extra flags, $(3) = tool
define tool
$(1)/$(3): $$(patsubst %.c,$(1)/obj/%.o,$$(wildcard cmd/$(3)/*.c) $$(CLI_SRCS)) $(1)/libpcache.a
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $(1)/libpcache.a \
		$$(if $$(filter undefined,$$(origin $(3)_LIBS)),$$(TOOL_LIBS_ALL),$$($(3)_LIBS)) \
		$$(LDLIBS)
endef

# $(1) = directory, $(2) = extra flags, $(3) = unit test source
define unit
$(1)/unit/$(basename $(notdir $(3))): $(1)/obj/$(3:.c=.o) $$(UNIT_AUX:%.c=$(1)/obj/%.o) $(1)/libpcache.a
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $(1)/libpcache.a $$(LDLIBS)
endef

# $(1) = directory, $(2) = extra flags
define all_rules
$(eval $(call tree,$(1),$(2)))
$(foreach t,$(TOOLS),$(eval $(call tool,$(1),$(2),$(t))))
$(foreach u,$(UNIT_SRCS),$(eval $(call unit,$(1),$(2),$(u))))
endef
$(eval $(call all_rules,$(BUILD),))
$(eval $(call all_rules,$(SANBUILD),$(SANFLAGS)))

# The shared library exports the API of its installed headers and nothing
# else (symbol version PCACHE_0): every pc_NAME( they declare.
$(BUILD)/libpcache.map: lib/pcache.h lib/writer.h
	@mkdir -p $(@D)
	{ echo 'PCACHE_0 {'; echo 'global:'; \
	  grep -ohE '\<pc_[a-z0-9_]+\(' $^ | sort -u | sed 's/^/\t/; s/($$/;/'; \
	  echo 'local: *;'; echo '};'; } > $@

$(BUILD)/libpcache.so: $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/libpcache.map
	$(CC) -shared $(CFLAGS) $(LDFLAGS) -Wl,-soname,libpcache.so.0 \
		-Wl,--version-script=$(BUILD)/libpcache.map -o $@ \
		$(filter %.o,$^) -lpmem2 -lpthread

PC_SED := s|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|; \
	  s|@VERSION@|$(VERSION)|
$(BUILD)/libpcache.pc: lib/libpcache.pc.in VERSION
	@mkdir -p $(@D)
	sed -e '$(PC_SED)' $< > $@

vpath %.8 $(sort $(dir $(MAN_SRCS)))
vpath %.5 $(sort $(dir $(MAN5_SRCS)))
$(BUILD)/man/%.8: %.8 VERSION
	@mkdir -p $(@D)
	sed 's/@VERSION@/$(VERSION)/g' $< > $@
$(BUILD)/man/%.5: %.5 VERSION
	@mkdir -p $(@D)
	sed 's/@VERSION@/$(VERSION)/g' $< > $@

deps:
	tools/install-deps.sh base bench dump deb

JOBS      ?= $(shell nproc 2>/dev/null || echo 2)

check-build: deps
	$(MAKE) --no-print-directory -j$(JOBS) all $(SANBUILD)/tools.stamp

check: check-build
	@tests/run.sh $(BUILD) $(SANBUILD)

check-upstream: deps
	$(MAKE) --no-print-directory -j$(JOBS) all
	@PCACHE_SUITES=tests/kernel/upstream.tap.sh tests/run.sh $(BUILD)

demo: deps
	$(MAKE) --no-print-directory -j$(JOBS) all
	@tools/demo.sh $(BUILD)

kernel:
	$(MAKE) -C kernel

# Debian packages from a clean copy of the tree into $(BUILD)/deb/
deb:
	tools/install-deps.sh base bench deb
	JOBS=$(JOBS) tools/make-deb.sh $(BUILD)/deb

# only the Debian package test (make check runs it too, unless PCACHE_SKIP_DEB=1)
check-deb:
	tools/install-deps.sh base bench deb
	tests/deb/deb.tap.sh

fuzz: deps
	@tools/fuzz.sh $(BUILD)-fuzz

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/pcache $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(addprefix $(BUILD)/,$(TOOLS)) $(DESTDIR)$(PREFIX)/sbin/
	install -m 644 $(BUILD)/libpcache.a $(DESTDIR)$(LIBDIR)/
	install -m 644 $(BUILD)/libpcache.so $(DESTDIR)$(LIBDIR)/libpcache.so.0
	ln -sf libpcache.so.0 $(DESTDIR)$(LIBDIR)/libpcache.so
	sed -e '$(PC_SED)' lib/libpcache.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libpcache.pc
	install -m 644 $(LIB_HDRS) $(DESTDIR)$(PREFIX)/include/pcache/
	install -m 644 $(MANPAGES) $(DESTDIR)$(PREFIX)/share/man/man8/
	for t in $(TOOLS); do \
		[ ! -f completions/$$t ] || install -m 644 completions/$$t $(DESTDIR)$(PREFIX)/share/bash-completion/completions/; \
	done
	install -d $(DESTDIR)$(GENERATORDIR) $(DESTDIR)$(UDEVRULESDIR) \
		$(DESTDIR)$(PREFIX)/share/man/man5
	ln -sf $(PREFIX)/sbin/pcache $(DESTDIR)$(GENERATORDIR)/pcache-generator
	sed 's|@SBINDIR@|$(PREFIX)/sbin|' udev/61-pcache.rules.in \
		>$(DESTDIR)$(UDEVRULESDIR)/61-pcache.rules
	install -m 644 $(MAN5PAGES) $(DESTDIR)$(PREFIX)/share/man/man5/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/sbin/,$(TOOLS)) \
		$(DESTDIR)$(LIBDIR)/libpcache.* $(DESTDIR)$(LIBDIR)/pkgconfig/libpcache.pc \
		$(addprefix $(DESTDIR)$(PREFIX)/share/man/man8/,$(notdir $(MAN_SRCS))) \
		$(DESTDIR)$(GENERATORDIR)/pcache-generator \
		$(DESTDIR)$(UDEVRULESDIR)/61-pcache.rules \
		$(addprefix $(DESTDIR)$(PREFIX)/share/man/man5/,$(notdir $(MAN5_SRCS)))
	rm -rf $(DESTDIR)$(PREFIX)/include/pcache

clean:
	rm -rf $(BUILD) $(SANBUILD) $(BUILD)-fuzz
	-$(MAKE) -C kernel clean 2>/dev/null

-include $(shell find $(BUILD) $(SANBUILD) -name '*.d' 2>/dev/null)
