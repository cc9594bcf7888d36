# sftpdrill — see README.md. `make demo` and `make check` set everything up on Debian 12.
#
# LIBSSH2=auto (default): the system libssh2 if it is >= 1.11, else Debian's own 1.11.1 source package,
# fetched with apt and built once into build/deps/ (tests/libssh2.sh). LIBSSH2=system: the system one
# whatever its version; that build lives in build/system/ and its program is build/system/sftpdrill.

# The version, from one place: the first line of debian/changelog ("sftpdrill (0.3.0-1) ...").
VERSION   := $(shell sed -n '1s/^sftpdrill (\([^)-]*\).*/\1/p' debian/changelog)
PREFIX    ?= /usr/local
# systemd reads units from $(PREFIX)/lib/systemd/system for /usr and /usr/local.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR   ?=
CC        ?= cc
PKG_CONFIG ?= pkg-config
PKGS      := openssl libxml-2.0
LIBSSH2   ?= auto

ifeq ($(LIBSSH2),system)
B         := build/system
PROG      := $(B)/sftpdrill
else
B         := build
PROG      := harness/sftpdrill
endif

# Goals that install packages first must not choose a libssh2 before the packages are there:
# they run make again once they are.
SETUP_GOALS := deps check check-deps demo bench fuzz clean uninstall
ifeq ($(filter $(SETUP_GOALS),$(MAKECMDGOALS)),)
include $(B)/libssh2.mk
endif

CFLAGS    ?= -O2 -g
WARN      := -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
DEPCFLAGS  = $(SSH2_CFLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
DEPLIBS    = $(SSH2_LIBS) $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
ALLCFLAGS  = $(WARN) $(CPPFLAGS) $(CFLAGS) -pthread -Iinclude -DSFTPDRILL_VERSION='"$(VERSION)"' \
             -DSFTPDRILL_LIBSSH2_ORIGIN='"$(SSH2_ORIGIN)"' $(DEPCFLAGS) -MMD -MP
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIBSRC    := $(wildcard lib/*/*.c)
HARNESS   := $(wildcard harness/*.c)
HARNESSH  := $(wildcard harness/*.h)
UNITSRC   := $(wildcard tests/unit/*.c)
CHECKLIBS  = $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

# Objects for a variant: $(call objs,DIR)
objs = $(patsubst lib/%.c,$(1)/lib/%.o,$(LIBSRC))

.PHONY: all deps deb check-deb check check-trixie check-deps unit integration interop demo install uninstall clean bench fuzz
.DEFAULT_GOAL := all

all: $(PROG)

deps:
	@tests/need.sh build

# The libssh2 choice, as make variables; remade when the script changes (delete it to choose again).
$(B)/libssh2.mk: tests/libssh2.sh
	@mkdir -p $(@D)
	@tests/libssh2.sh $(LIBSSH2) $(B) > $@.tmp && mv $@.tmp $@

# ---- normal build -------------------------------------------------------
$(B)/lib/%.o: lib/%.c $(B)/libssh2.mk
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -c -o $@ $<

# Made anew each time: a module that moved or went must not linger in the archive.
$(B)/libsftpdrill.a: $(call objs,$(B))
	rm -f $@ && $(AR) rcs $@ $^

# The help text is a resource: harness/help.txt, turned into a C table at build time.
$(B)/help.h: harness/help.txt harness/help2c.awk
	@mkdir -p $(@D)
	awk -f harness/help2c.awk harness/help.txt > $@.tmp && mv $@.tmp $@

$(PROG): $(HARNESS) $(HARNESSH) $(B)/help.h $(B)/libsftpdrill.a
	$(CC) $(ALLCFLAGS) -I$(B) -o $@ $(HARNESS) $(B)/libsftpdrill.a $(DEPLIBS) $(LDFLAGS)

# ---- sanitizer build (tests only) ---------------------------------------
# The version is compiled into version.o (and the harness's help): remade when the changelog moves on.
$(B)/lib/base/version.o $(B)/asan/lib/base/version.o: debian/changelog

$(B)/asan/lib/%.o: lib/%.c $(B)/libssh2.mk
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $(SANFLAGS) -c -o $@ $<

$(B)/asan/libsftpdrill.a: $(call objs,$(B)/asan)
	rm -f $@ && $(AR) rcs $@ $^

$(B)/asan/sftpdrill: $(HARNESS) $(HARNESSH) $(B)/help.h $(B)/asan/libsftpdrill.a
	$(CC) $(ALLCFLAGS) $(SANFLAGS) -I$(B) -o $@ $(HARNESS) $(B)/asan/libsftpdrill.a $(DEPLIBS)

# ---- tests ---------------------------------------------------------------
$(B)/unit-tests: $(UNITSRC) $(B)/libsftpdrill.a
	$(CC) $(ALLCFLAGS) -o $@ $(UNITSRC) $(B)/libsftpdrill.a $(DEPLIBS) $(CHECKLIBS)

$(B)/asan/unit-tests: $(UNITSRC) $(B)/asan/libsftpdrill.a
	$(CC) $(ALLCFLAGS) $(SANFLAGS) -o $@ $(UNITSRC) $(B)/asan/libsftpdrill.a $(DEPLIBS) $(CHECKLIBS)

TESTBIN   := $(PROG) $(B)/asan/sftpdrill $(B)/unit-tests $(B)/asan/unit-tests $(B)/junit-check \
             $(B)/silent-listener $(B)/cut-proxy $(B)/link-emu $(B)/asan/fuzz-replay

check-deps:
	@tests/need.sh test

# `make check` installs what is missing, then runs unit tests (plain and sanitized) and the
# integration tests against the local mirror, and ends with one line "N passed, N failed".
check: check-deps
	@$(MAKE) --no-print-directory LIBSSH2=$(LIBSSH2) $(TESTBIN)
	@SFTPDRILL_BUILD=$(B) SFTPDRILL_PROG=$(PROG) tests/run-all.sh

unit: $(B)/unit-tests
	$(B)/unit-tests

# The field matrix: every SFTP server Debian packages that starts here, and the limits real services
# set, drilled with each key type; writes docs/interop.md. Plain and sanitized.
interop:
	@tests/need.sh interop
	@$(MAKE) --no-print-directory LIBSSH2=$(LIBSSH2) $(PROG) $(B)/asan/sftpdrill $(B)/link-emu
	@SFTPDRILL_BUILD=$(B) SFTPDRILL_PROG=$(PROG) tests/run-all.sh interop

# The Debian package: build/deb/sftpdrill_VERSION_ARCH.deb (debhelper), then lintian; check-deb installs
# it in clean Debian 12 and 13 chroots and removes it again (tests/deb.sh).
deb:
	@tests/need.sh deb
	@tests/deb.sh build

check-deb:
	@tests/need.sh deb
	@tests/deb.sh check

# The suite on Debian 13, in a debootstrap chroot of the archive this machine's apt uses (tests/trixie.sh).
check-trixie:
	@tests/need.sh trixie
	@SFTPDRILL_BUILD=$(B) tests/trixie.sh check

# `make integration T="10 38"`: only those sections (later ones use what earlier ones recorded).
integration: $(PROG) $(B)/junit-check $(B)/silent-listener $(B)/cut-proxy $(B)/link-emu
	SFTPDRILL_BUILD=$(B) SFTPDRILL=$(PROG) tests/integration/run.sh $(T)

demo:
	@tests/need.sh demo
	@$(MAKE) --no-print-directory LIBSSH2=$(LIBSSH2) $(PROG)
	@SFTPDRILL=$(PROG) scenarios/demo.sh

install: $(PROG)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/sftpdrill/scenarios/hkex-rrs
	install -m 755 $(PROG) $(DESTDIR)$(PREFIX)/bin/sftpdrill
	sed 's/@VERSION@/$(VERSION)/' harness/sftpdrill.1 > $(DESTDIR)$(PREFIX)/share/man/man1/sftpdrill.1
	chmod 644 $(DESTDIR)$(PREFIX)/share/man/man1/sftpdrill.1
	install -m 644 scenarios/hkex-rrs/*.drill scenarios/hkex-rrs/*.profile scenarios/hkex-rrs/*.txt $(DESTDIR)$(PREFIX)/share/sftpdrill/scenarios/hkex-rrs/
	install -d $(DESTDIR)$(PREFIX)/share/sftpdrill/ci
	install -m 755 contrib/ci/sftpdrill-ci $(DESTDIR)$(PREFIX)/share/sftpdrill/ci/sftpdrill-ci
	install -d $(DESTDIR)$(PREFIX)/lib/nagios/plugins
	install -m 755 contrib/monitoring/check_sftpdrill $(DESTDIR)$(PREFIX)/lib/nagios/plugins/check_sftpdrill
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in contrib/systemd/sftpdrill-backup@.service contrib/systemd/sftpdrill-backup@.timer; do \
	  sed 's|@PREFIX@|$(PREFIX)|g' $$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/} && chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/}; done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/sftpdrill $(DESTDIR)$(PREFIX)/share/man/man1/sftpdrill.1
	rm -rf $(DESTDIR)$(PREFIX)/share/sftpdrill
	rm -f $(DESTDIR)$(PREFIX)/lib/nagios/plugins/check_sftpdrill
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/sftpdrill-backup@.service $(DESTDIR)$(SYSTEMDUNITDIR)/sftpdrill-backup@.timer

# The fetched libssh2 (build/deps) survives `make clean`; `rm -rf build` starts from nothing.
clean:
	rm -rf $(filter-out build/deps,$(wildcard build/*)) harness/sftpdrill harness/*.d

-include $(shell find $(B) \( -path $(B)/trixie -o -path $(B)/deb -o -path $(B)/deb-chroots \) -prune -o -type f -name '*.d' -print 2>/dev/null)

# ---- test tools -----------------------------------------------------------
$(B)/junit-check: tests/tools/junit-check.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -D_GNU_SOURCE $(shell $(PKG_CONFIG) --cflags libxml-2.0) -o $@ $< $(shell $(PKG_CONFIG) --libs libxml-2.0)

$(B)/silent-listener: tests/tools/silent-listener.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -o $@ $<

$(B)/cut-proxy: tests/tools/cut-proxy.c tests/tools/tcp.h
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -o $@ $<

$(B)/link-emu: tests/tools/link-emu.c tests/tools/tcp.h
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -o $@ $<

# ---- fuzzing ---------------------------------------------------------------
FUZZ_SECONDS ?= 60
FUZZFLAGS := -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -g -O1

$(B)/fuzz/fuzz_drill: tests/fuzz/fuzz_drill.c $(LIBSRC) $(B)/libssh2.mk
	@mkdir -p $(@D)
	clang $(WARN) -Wno-unknown-warning-option $(FUZZFLAGS) -Iinclude $(DEPCFLAGS) -o $@ tests/fuzz/fuzz_drill.c $(LIBSRC) $(DEPLIBS)

$(B)/asan/fuzz-replay: tests/fuzz/fuzz_drill.c tests/fuzz/replay.c $(B)/asan/libsftpdrill.a
	$(CC) $(ALLCFLAGS) $(SANFLAGS) -o $@ tests/fuzz/fuzz_drill.c tests/fuzz/replay.c $(B)/asan/libsftpdrill.a $(DEPLIBS)

# Bounded run from a copy of the seed corpus; a crash is written to build/fuzz/ to become a regression.
fuzz:
	@tests/need.sh fuzz
	@$(MAKE) --no-print-directory LIBSSH2=$(LIBSSH2) $(B)/fuzz/fuzz_drill
	rm -rf $(B)/fuzz/corpus && cp -r tests/fuzz/corpus $(B)/fuzz/corpus
	cd $(B)/fuzz && ./fuzz_drill -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	    -artifact_prefix=./ corpus 2>&1 | tail -n 20

# ---- benchmarks (timings live here, never in tests) ------------------------
bench:
	@tests/need.sh bench
	@$(MAKE) --no-print-directory LIBSSH2=$(LIBSSH2) $(PROG) $(B)/link-emu
	@SFTPDRILL=$(PROG) SFTPDRILL_BUILD=$(B) tests/bench/bench.sh
