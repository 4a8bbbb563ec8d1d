# Sigil — one non-recursive Makefile for the whole tree.
#
#   make              build everything into build/ (binaries in build/bin/)
#   make check        unit, CLI, conformance and slow tests; then the same suite
#                     rebuilt under ASan+UBSan (build/asan/); fuzz seed corpora
#   make check-fast   the normal build's suite without the slow tier
#   make bench        benchmarks (ratios against limits measured in the same run)
#   make demo         the example: encode a file into a store and decode it back,
#                     ...; then examples/kv.dhall booted as a VM, redis-cli against it
#   make fuzz         each libFuzzer target for FUZZ_SECONDS (default 60)
#   make install      PREFIX=/usr/local DESTDIR=
#
# The sanitizer pass is this same Makefile with B=build/asan SAN=1: one set of
# rules, two output trees.

B        ?= build
# Note: dependency files name their targets as B was spelled; mixing
# B=build and B=/abs/build in one tree leaves stale objects (make clean).
SAN      ?=
CC       ?= cc
CLANG    ?= clang
PREFIX   ?= /usr/local
DESTDIR  ?=
FUZZ_SECONDS ?= 60
SIGIL_SHARED ?= $(abspath ../shared)

OPT      ?= -O2
WARN      = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-missing-field-initializers
ifeq ($(SAN),1)
SANFLAGS  = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT       = -O1
endif
CPPFLAGS += -D_GNU_SOURCE -Ilib -Icli -I/usr/include/libxml2
CFLAGS   += $(OPT) -g $(WARN) $(SANFLAGS) -MMD -MP
LDFLAGS  += $(SANFLAGS)
LIBS      = -lsodium -lcbor -lmicrohttpd -lelf -ljansson -lxml2 -lseccomp -lpthread
TEST_LIBS = -ljansson

LIB_SRC   = $(wildcard lib/*/*.c)
LIB_OBJ   = $(LIB_SRC:%.c=$(B)/obj/%.o)
LIB_A     = $(B)/lib/libsigil.a

CLI_COMMON_SRC = $(wildcard cli/common/*.c)
CLI_COMMON_OBJ = $(CLI_COMMON_SRC:%.c=$(B)/obj/%.o)
# Every directory cli/NAME (but common) is one program build/bin/NAME.
PROGS     = $(filter-out common,$(notdir $(wildcard cli/*)))

UNIT_SRC  = $(wildcard tests/unit/test_*.c tests/unit/slow_*.c)
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
UNIT_SUPPORT_OBJ = $(B)/obj/tests/unit/tap.o $(B)/obj/tests/unit/vectors.o $(B)/obj/tests/unit/suite.o

BENCH_SRC = $(wildcard bench/*.c)
BENCH_BIN = $(BENCH_SRC:bench/%.c=$(B)/bench/%)

FUZZ_SRC  = $(filter-out fuzz/driver.c,$(wildcard fuzz/fuzz_*.c))
# seed-corpus runners: the targets linked with our own driver (any compiler)
FUZZ_RUN  = $(FUZZ_SRC:fuzz/%.c=$(B)/fuzz/%)
# real libFuzzer binaries (clang)
FUZZ_LF   = $(FUZZ_SRC:fuzz/%.c=$(B)/libfuzzer/%)

BINS      = $(PROGS:%=$(B)/bin/%)

# sigil-init (init/): one binary, the system's supervisor, linked statically
# against what it needs (libsodium, libjansson, libseccomp, libelf, libz: all
# with a .a in Debian 12; no libcbor, no libcurl: init/nohttp.c). The ASan
# build links it dynamically (the sanitizers do not support -static).
INIT_LIBS = -lsodium -ljansson -lseccomp -lelf -lz -lpthread
ifeq ($(SAN),1)
INIT_STATIC =
else
INIT_STATIC = -static
endif
INIT_SRC  = $(wildcard init/*.c)
INIT_OBJ  = $(INIT_SRC:%.c=$(B)/obj/%.o)
BINS     += $(B)/bin/sigil-init

.SECONDARY:

.PHONY: all check check-fast check-san test-bins bench demo fuzz fuzz-bins install clean deps

all: $(BINS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

define prog_rule
$(B)/bin/$(1): $(patsubst %.c,$(B)/obj/%.o,$(wildcard cli/$(1)/*.c)) $(CLI_COMMON_OBJ) $(LIB_A)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))
# No program links libcurl: its users load it when they first need it
# (lib/dlcurl). The dhall programs use no other library but libsodium:
# linked --as-needed, a run maps nothing else (start-up RSS).
$(B)/bin/dhall $(B)/bin/dhall-to-json: LIBS := -Wl,--as-needed $(LIBS)
# The sigil binary: libxml2 is not linked but loaded on first use
# (cli/sigil/lazylib.c), so that `sigil exec` starts like a small program.
$(B)/bin/sigil: LIBS := -Wl,--as-needed $(filter-out -lxml2,$(LIBS)) -ldl

$(B)/bin/sigil-init: $(INIT_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(INIT_STATIC) -o $@ $^ $(INIT_LIBS)

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(UNIT_SUPPORT_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LIBS)

$(B)/bench/%: $(B)/obj/bench/%.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/fuzz/%: $(B)/obj/fuzz/%.o $(B)/obj/fuzz/driver.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# libFuzzer builds: the library compiled once more with clang and coverage
# instrumentation (fuzzer-no-link), then each target linked against it.
LF_FLAGS  = -std=c11 -g -O1 -fsanitize=address,undefined -MMD -MP
LF_LIB_A  = $(B)/libfuzzer/libsigil.a
$(B)/libfuzzer/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) $(CPPFLAGS) $(LF_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(LF_LIB_A): $(LIB_SRC:%.c=$(B)/libfuzzer/obj/%.o)
	rm -f $@
	$(AR) rcs $@ $^
$(B)/libfuzzer/%: $(B)/libfuzzer/obj/fuzz/%.o $(LF_LIB_A)
	$(CLANG) $(LF_FLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

test-bins: $(BINS) $(UNIT_BIN) $(FUZZ_RUN)

# The suite against one build tree. TIER=fast skips the slow tier.
TIER ?= all
run-suite: test-bins
	@SIGIL_BUILD=$(abspath $(B)) SIGIL_SHARED=$(SIGIL_SHARED) SIGIL_SAN=$(SAN) SIGIL_TIER=$(TIER) \
		SIGIL_FUZZ_SECONDS=$(SIGIL_FUZZ_SECONDS) tests/run

check-fast:
	@tools/deps --check
	@$(MAKE) --no-print-directory run-suite TIER=fast

# The sanitizer pass also runs each libFuzzer target briefly (FUZZ_CHECK_SECONDS).
FUZZ_CHECK_SECONDS ?= 15
check-san:
	@$(MAKE) --no-print-directory B=build/asan SAN=1 fuzz-bins
	@$(MAKE) --no-print-directory B=build/asan SAN=1 run-suite SIGIL_FUZZ_SECONDS=$(FUZZ_CHECK_SECONDS)

check:
	@tools/deps --check
	@$(MAKE) --no-print-directory run-suite
	@echo "== the same suite under ASan+UBSan (build/asan) =="
	@$(MAKE) --no-print-directory check-san

bench: $(BINS) $(BENCH_BIN)
	@tools/deps --check
	@SIGIL_BUILD=$(abspath $(B)) bench/run

demo: $(BINS)
	@tools/deps --check
	@SIGIL_BUILD=$(abspath $(B)) examples/demo.sh
	@SIGIL_BUILD=$(abspath $(B)) examples/kv-demo.sh

fuzz-bins: $(FUZZ_LF)

fuzz: fuzz-bins
	@for t in $(FUZZ_LF); do \
		n=$$(basename $$t); mkdir -p $(B)/fuzz-corpus/$$n; \
		echo "== $$n for $(FUZZ_SECONDS)s"; \
		extra=$$(test -f fuzz/corpus/$$n.shared && sed 's|^|$(SIGIL_SHARED)/|' fuzz/corpus/$$n.shared); \
		$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(B)/fuzz-corpus/$$n fuzz/corpus/$$n $$extra || exit 1; \
	done

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(wildcard docs/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 docs/sigil-init.8 $(DESTDIR)$(PREFIX)/share/man/man8/

deps:
	tools/deps

clean:
	rm -rf build

-include $(shell find $(B)/obj $(B)/libfuzzer -name '*.d' -type f 2>/dev/null)
