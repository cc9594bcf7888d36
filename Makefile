# sftpdrill — see README.md. `make demo` and `make check` set everything up on Debian 12.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
CC        ?= cc
PKG_CONFIG ?= pkg-config
PKGS      := libssh2 openssl libxml-2.0

CFLAGS    ?= -O2 -g
WARN      := -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
DEPCFLAGS  = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
DEPLIBS    = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ALLCFLAGS  = $(WARN) $(CFLAGS) -pthread -Iinclude -DSFTPDRILL_VERSION='"$(VERSION)"' $(DEPCFLAGS) -MMD -MP
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIBSRC    := $(wildcard lib/*.c)
B         := build

# Objects for a variant: $(call objs,DIR)
objs = $(patsubst lib/%.c,$(1)/lib/%.o,$(LIBSRC))

.PHONY: all deps check check-deps unit integration demo install uninstall clean bench fuzz
.DEFAULT_GOAL := all

all: harness/sftpdrill

deps:
	@tests/need.sh build

# ---- normal build -------------------------------------------------------
$(B)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -c -o $@ $<

$(B)/libsftpdrill.a: $(call objs,$(B))
	$(AR) rcs $@ $^

HARNESS   := $(wildcard harness/*.c)
HARNESSH  := $(wildcard harness/*.h)

# The help text is a resource: harness/help.txt, turned into a C table at build time.
$(B)/help.h: harness/help.txt harness/help2c.awk
	@mkdir -p $(@D)
	awk -f harness/help2c.awk harness/help.txt > $@.tmp && mv $@.tmp $@

harness/sftpdrill: $(HARNESS) $(HARNESSH) $(B)/help.h $(B)/libsftpdrill.a
	$(CC) $(ALLCFLAGS) -I$(B) -o $@ $(HARNESS) $(B)/libsftpdrill.a $(DEPLIBS) $(LDFLAGS)

# ---- sanitizer build (tests only) ---------------------------------------
$(B)/asan/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $(SANFLAGS) -c -o $@ $<

$(B)/asan/libsftpdrill.a: $(call objs,$(B)/asan)
	$(AR) rcs $@ $^

$(B)/asan/sftpdrill: $(HARNESS) $(HARNESSH) $(B)/help.h $(B)/asan/libsftpdrill.a
	$(CC) $(ALLCFLAGS) $(SANFLAGS) -I$(B) -o $@ $(HARNESS) $(B)/asan/libsftpdrill.a $(DEPLIBS)

# ---- tests ---------------------------------------------------------------
UNITSRC   := $(wildcard tests/unit/*.c)
CHECKLIBS  = $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

$(B)/unit-tests: $(UNITSRC) $(B)/libsftpdrill.a
	$(CC) $(ALLCFLAGS) -o $@ $(UNITSRC) $(B)/libsftpdrill.a $(DEPLIBS) $(CHECKLIBS)

$(B)/asan/unit-tests: $(UNITSRC) $(B)/asan/libsftpdrill.a
	$(CC) $(ALLCFLAGS) $(SANFLAGS) -o $@ $(UNITSRC) $(B)/asan/libsftpdrill.a $(DEPLIBS) $(CHECKLIBS)

check-deps:
	@tests/need.sh test

# `make check` installs what is missing, then runs unit tests (plain and sanitized) and the
# integration tests against the local mirror, and ends with one line "N passed, N failed".
check: check-deps
	@$(MAKE) --no-print-directory harness/sftpdrill $(B)/asan/sftpdrill $(B)/unit-tests $(B)/asan/unit-tests \
	    $(B)/junit-check $(B)/silent-listener $(B)/cut-proxy $(B)/asan/fuzz-replay
	@tests/run-all.sh

unit: $(B)/unit-tests
	$(B)/unit-tests

integration: harness/sftpdrill $(B)/junit-check $(B)/silent-listener $(B)/cut-proxy
	tests/integration/run.sh

demo:
	@tests/need.sh demo
	@$(MAKE) --no-print-directory harness/sftpdrill
	@scenarios/demo.sh

install: harness/sftpdrill
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/sftpdrill/scenarios/hkex-rrs
	install -m 755 harness/sftpdrill $(DESTDIR)$(PREFIX)/bin/sftpdrill
	install -m 644 harness/sftpdrill.1 $(DESTDIR)$(PREFIX)/share/man/man1/sftpdrill.1
	install -m 644 scenarios/hkex-rrs/*.drill scenarios/hkex-rrs/*.profile scenarios/hkex-rrs/*.txt $(DESTDIR)$(PREFIX)/share/sftpdrill/scenarios/hkex-rrs/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/sftpdrill $(DESTDIR)$(PREFIX)/share/man/man1/sftpdrill.1
	rm -rf $(DESTDIR)$(PREFIX)/share/sftpdrill

clean:
	rm -rf $(B) harness/sftpdrill

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- test tools -----------------------------------------------------------
$(B)/junit-check: tests/tools/junit-check.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -D_GNU_SOURCE $(DEPCFLAGS) -o $@ $< $(DEPLIBS)

$(B)/silent-listener: tests/tools/silent-listener.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -o $@ $<

$(B)/cut-proxy: tests/tools/cut-proxy.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -o $@ $<

# ---- fuzzing ---------------------------------------------------------------
FUZZ_SECONDS ?= 60
FUZZFLAGS := -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -g -O1

$(B)/fuzz/fuzz_drill: tests/fuzz/fuzz_drill.c $(LIBSRC)
	@mkdir -p $(@D)
	clang $(WARN) -Wno-unknown-warning-option $(FUZZFLAGS) -Iinclude $(DEPCFLAGS) -o $@ tests/fuzz/fuzz_drill.c $(LIBSRC) $(DEPLIBS)

$(B)/asan/fuzz-replay: tests/fuzz/fuzz_drill.c tests/fuzz/replay.c $(B)/asan/libsftpdrill.a
	$(CC) $(ALLCFLAGS) $(SANFLAGS) -o $@ tests/fuzz/fuzz_drill.c tests/fuzz/replay.c $(B)/asan/libsftpdrill.a $(DEPLIBS)

# Bounded run from a copy of the seed corpus; a crash is written to build/fuzz/ to become a regression.
fuzz:
	@tests/need.sh fuzz
	@$(MAKE) --no-print-directory $(B)/fuzz/fuzz_drill
	rm -rf $(B)/fuzz/corpus && cp -r tests/fuzz/corpus $(B)/fuzz/corpus
	cd $(B)/fuzz && ./fuzz_drill -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	    -artifact_prefix=./ corpus 2>&1 | tail -n 20

# ---- benchmarks (timings live here, never in tests) ------------------------
bench:
	@tests/need.sh bench
	@$(MAKE) --no-print-directory harness/sftpdrill
	@tests/bench/bench.sh
