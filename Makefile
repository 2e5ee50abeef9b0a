# tl — transfer learning as Unix filters.  A plain Makefile: the user's CFLAGS
# are left alone, our own flags live in TL_CFLAGS, libraries come from pkg-config.
#
# Layout: lib/**/*.c -> $(B)/libtl.a; cmd/tl-X.c -> bin/tl-X (linked with libtl.a);
# tests/unit/test_X.c -> $(B)/tests/test_X; tests/fuzz/fuzz_X.c + replay.c ->
# $(B)/tests/test_fuzz_X (replays the fuzz target's regression files and seeds).
# `make SAN=1` builds the same tree with ASan+UBSan into build-san/ and
# bin-san/; `make SAN=fuzz fuzzers` the libFuzzer targets with clang into
# build-fuzz/ (tests/fuzz/run does that, then runs them).
#
# Warnings are errors only when asked, `make WERROR=1`: `make check` (and so
# .ci/run) builds that way, a plain `make`, `make demo` or `make install` does
# not, so a packager's newer compiler warns but still builds.  A plain build
# keeps each file's warnings in X.o.warn; a WERROR=1 build compiles those
# files again, so `make; make check` still fails on a warning.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
SHAREDIR ?= $(PREFIX)/share/tl
CC      ?= cc
CFLAGS  ?= -O2 -g
PKGS    := vips glib-2.0 msgpack openblas libarchive libprotobuf-c jansson sqlite3
WERROR  ?=

ifeq ($(SAN),1)
B       := build-san
BIN     := bin-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else ifeq ($(SAN),fuzz)
FUZZ_CC ?= clang
CC      := $(FUZZ_CC)
B       := build-fuzz
BIN     := bin-fuzz
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
            -Wno-unknown-warning-option -Wno-unknown-pragmas
else
B       := build
BIN     := bin
SANFLAGS :=
endif

# Evaluated once, on first use, not when the Makefile is read: `make deps demo`
# on a fresh machine must see the libraries that deps has just installed.
PKG_CFLAGS = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null))$(PKG_LIBS)
TL_CFLAGS  = -std=c11 -D_GNU_SOURCE -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) \
              -Wno-unused-parameter -Wno-format-truncation \
              -Ilib -I$(B)/gen -DTL_SHAREDIR='"$(SHAREDIR)"' $(PKG_CFLAGS) $(SANFLAGS) -pthread
TL_LDLIBS  = $(PKG_LIBS) -lm -pthread

LIB_SRC   := $(sort $(wildcard lib/*.c lib/*/*.c))
GEN_SRC   := $(B)/gen/onnx.pb-c.c
LIB_OBJ   := $(LIB_SRC:%.c=$(B)/%.o) $(GEN_SRC:.c=.o)
TOOLS     := $(patsubst cmd/%.c,%,$(sort $(wildcard cmd/tl-*.c)))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
MAN_PAGES := $(sort $(wildcard man/*.[1-9]))
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(B)/tests/test_fuzz_%)
FUZZERS   := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(B)/fuzz_%)
FUZZ_SECONDS ?= 60

all: $(TOOLS:%=$(BIN)/%)

# tl-shard (tl-shard(1)) is the shell script pipelines/shard under its tool
# name, so bin/ holds every tool and `make install` installs them all
SCRIPTS   := tl-shard
all: $(SCRIPTS:%=$(BIN)/%)
$(BIN)/tl-shard: pipelines/shard
	@mkdir -p $(BIN)
	@install -m 755 $< $@.tmp && mv -f $@.tmp $@

$(B)/gen/onnx.pb-c.c $(B)/gen/onnx.pb-c.h: /usr/include/onnx/onnx.proto
	@mkdir -p $(B)/gen
	@command -v protoc-c >/dev/null || { echo "protoc-c missing: run 'make deps'" >&2; exit 1; }
	protoc-c --proto_path=/usr/include/onnx --c_out=$(B)/gen /usr/include/onnx/onnx.proto

$(B)/gen/onnx.pb-c.o: $(B)/gen/onnx.pb-c.c
	$(CC) $(CFLAGS) $(filter-out -Werror,$(TL_CFLAGS)) -c $< -o $@

$(B)/%.o: %.c $(B)/gen/onnx.pb-c.h | pkgcheck
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CFLAGS) $(TL_CFLAGS) -MMD -MP -c $< -o $@ 2>$@.warn; st=$$?; \
	    cat $@.warn >&2; [ -s $@.warn ] || rm -f $@.warn; exit $$st

# under WERROR=1, the objects whose plain build warned are built again
ifeq ($(WERROR),1)
$(patsubst %.warn,%,$(shell find $(B) -name '*.o.warn' 2>/dev/null)): FORCE
endif
FORCE:

pkgcheck:
	@pkg-config --exists --print-errors $(PKGS) || { echo "missing libraries: run 'make deps'" >&2; exit 1; }

$(B)/libtl.a: $(LIB_OBJ)
	@rm -f $@.tmp
	@ar rcs $@.tmp $^ && mv -f $@.tmp $@

# linked under a temporary name and renamed, so a running test never sees a
# half-written tool
$(BIN)/tl-%: $(B)/cmd/tl-%.o $(B)/libtl.a
	@mkdir -p $(BIN)
	@echo "LD $@"
	@$(CC) $(CFLAGS) $(SANFLAGS) $(LDFLAGS) -o $@.tmp $^ $(TL_LDLIBS) && mv -f $@.tmp $@

$(B)/tests/%: $(B)/tests/unit/%.o $(B)/libtl.a
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(CFLAGS) $(SANFLAGS) $(LDFLAGS) -o $@.tmp $^ $(TL_LDLIBS) && mv -f $@.tmp $@

# a fuzz target with a plain main() that replays its inputs (tests/fuzz/replay.c)
$(B)/tests/test_fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(B)/tests/fuzz/replay.o $(B)/libtl.a
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(CFLAGS) $(SANFLAGS) $(LDFLAGS) -o $@.tmp $^ $(TL_LDLIBS) && mv -f $@.tmp $@

# the libFuzzer binaries (SAN=fuzz only)
$(B)/fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(B)/libtl.a
	@echo "LD $@"
	@$(CC) $(CFLAGS) $(SANFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@.tmp $^ $(TL_LDLIBS) && mv -f $@.tmp $@

units: $(UNIT_BIN) $(FUZZ_BIN)

fuzzers: $(FUZZERS)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# check: the whole suite on the normal build, then again on the sanitizer build,
# both built with WERROR=1.  tests/run prints one line per test and ends with
# "N passed, N failed".
check: deps-test
	$(MAKE) WERROR=1 all units
	$(MAKE) WERROR=1 SAN=1 all units
	tests/run

valgrind: all units
	TL_VALGRIND=1 tests/run

# not part of check: FUZZ_SECONDS (60) of libFuzzer per target, one at a time
fuzz:
	tests/fuzz/run $(FUZZ_SECONDS)

# deps: what the tools, the demo and the pipelines need; deps-test: also what
# the tests and benchmarks need (make check runs it first)
deps:
	@sh tools/deps.sh

deps-test:
	@sh tools/deps.sh test

model:
	@sh tools/fetch-model.sh models

# the whole pipeline on letters rendered at demo time (pipelines/demo/Makefile);
# DATA=dir runs it on your own dir/<label>/ images instead
demo: deps all model
	@$(MAKE) --no-print-directory -C pipelines/demo BIN=$(abspath $(BIN)) $(if $(DATA),DATA=$(abspath $(DATA)))

bench: all
	@for b in bench/*/run; do echo "== $$b"; sh $$b || exit 1; done

# JPEG files to features and verdicts against the PyTorch and onnxruntime-node
# pipelines (bench/pipeline/run; DATA=dir, BENCH_* knobs in its header)
bench-pipeline: all
	@sh bench/pipeline/run

# bulk identification at scale: tl-bulk on 100,000 synthetic JPEGs against the
# shell script it replaced (bench/bulk/run; N, OLD_N, OUT in its header)
bench-bulk: all
	@sh bench/bulk/run

# The tools find the models installed here without TL_MODEL_PATH: they look in
# BIN/../share/tl/models next to their own executable (so under any PREFIX, and
# after DESTDIR staging is moved into place), then in the compiled-in SHAREDIR
# (tl-embed(1) FILES).
install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	for t in $(TOOLS) $(SCRIPTS); do install -m 755 $(BIN)/$$t $(DESTDIR)$(BINDIR)/$$t; done
	for m in $(MAN_PAGES); do s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	if [ -d models ]; then mkdir -p $(DESTDIR)$(SHAREDIR)/models && cp -R models/. $(DESTDIR)$(SHAREDIR)/models/; fi

uninstall:
	for t in $(TOOLS) $(SCRIPTS); do rm -f $(DESTDIR)$(BINDIR)/$$t; done
	for m in $(MAN_PAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	rm -rf $(DESTDIR)$(SHAREDIR)

clean:
	rm -rf build build-san build-fuzz bin bin-san

.PHONY: FORCE pkgcheck all check units fuzzers valgrind fuzz deps deps-test model demo bench bench-pipeline bench-bulk install uninstall clean
.SECONDARY:
