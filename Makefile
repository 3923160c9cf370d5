# Kiln - one non-recursive Makefile. Each directory adds its library, tool,
# tests and fuzz targets in <dir>/module.mk; this file holds the probes, the
# generic rules and the entry points:
#
#   make            build every tool into build/bin/
#   make demo       install missing packages, build, run the demo
#   make test       install missing packages, build, run the whole suite
#   make check      the same suite built with ASan + UBSan (build/check/)
#   make fuzz       libFuzzer binaries (clang) into build/fuzz/
#   make install    PREFIX=/usr/local DESTDIR= : tools and man pages
#   make pipeline   CONFIG=FILE: corpus -> dataset -> BPE -> training -> samples -> eval
#
# Knobs: HAVE_CUDA=auto|yes|no, HAVE_OPENMP=auto|yes|no, SANITIZE=address,undefined,
# NATIVE=1 (-march=native), V=1 (show commands), T=pattern (run matching tests only).

.DEFAULT_GOAL := all
SHELL := /bin/bash

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DESTDIR    ?=
BUILD      ?= build
CC         ?= cc
CFLAGS     ?= -O2 -g
NVCC       ?= nvcc
HAVE_CUDA  ?= auto
HAVE_OPENMP ?= auto
SANITIZE   ?=

ifeq ($(V),1)
Q :=
else
Q := @
endif

# ---- probes (evaluated once per make invocation, printed by the config rule)
pc_ok = $(shell pkg-config --exists $(1) 2>/dev/null && echo yes || echo no)
HAVE_ZLIB    := $(call pc_ok,zlib)
HAVE_LZMA    := $(call pc_ok,liblzma)
HAVE_ARCHIVE := $(call pc_ok,libarchive)
HAVE_FFMPEG  := $(call pc_ok,libavformat libavcodec libswscale libavutil)

ifeq ($(HAVE_OPENMP),no)
OPENMP := no
else
OPENMP := $(shell printf 'int main(void){return 0;}\n' | $(CC) -fopenmp -x c - -o /dev/null 2>/dev/null && echo yes || echo no)
endif
ifeq ($(HAVE_CUDA),no)
CUDA := no
else
CUDA := $(shell command -v $(NVCC) >/dev/null 2>&1 && echo yes || echo no)
endif

ZLIB_LIBS    := $(shell pkg-config --libs zlib 2>/dev/null)
LZMA_LIBS    := $(shell pkg-config --libs liblzma 2>/dev/null)
ARCHIVE_CFLAGS := $(shell pkg-config --cflags libarchive 2>/dev/null)
ARCHIVE_LIBS := $(shell pkg-config --libs libarchive 2>/dev/null)
FFMPEG_CFLAGS := $(shell pkg-config --cflags libavformat libavcodec libswscale libavutil 2>/dev/null)
FFMPEG_LIBS  := $(shell pkg-config --libs libavformat libavcodec libswscale libavutil 2>/dev/null)
AVUTIL_CFLAGS := $(shell pkg-config --cflags libavutil 2>/dev/null)
AVUTIL_LIBS  := $(shell pkg-config --libs libavutil 2>/dev/null)

ifeq ($(OPENMP),yes)
OMP_CFLAGS := -fopenmp
OMP_LIBS   := -fopenmp
endif

# ---- flags: the user's CFLAGS/LDFLAGS are kept, ours are appended
KILN_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
	-fno-strict-aliasing -Icommon -Idatasets -Iswf -Ibpe -Ivideo -Isprites -Itrain \
	-DKILN_HAVE_OPENMP=$(if $(filter yes,$(OPENMP)),1,0) \
	-DKILN_HAVE_CUDA=$(if $(filter yes,$(CUDA)),1,0) \
	-DKILN_HAVE_FFMPEG=$(if $(filter yes,$(HAVE_FFMPEG)),1,0) \
	-MMD -MP
ifneq ($(SANITIZE),)
KILN_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer -O1 -g
KILN_LDFLAGS += -fsanitize=$(SANITIZE)
endif
ifeq ($(NATIVE),1)
KILN_CFLAGS += -march=native
endif
ifeq ($(WERROR),1)
KILN_CFLAGS += -Werror
endif

ALL_CFLAGS  = $(CPPFLAGS) $(CFLAGS) $(KILN_CFLAGS) $(EXTRA_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(KILN_LDFLAGS)

OBJ := $(BUILD)/obj
LIB := $(BUILD)/lib
BIN := $(BUILD)/bin
TBIN := $(BUILD)/tests
# CONFIG is also the user's pipeline config (make pipeline CONFIG=FILE): keep
# that name for scripts/pipeline.mk, and override it here, or the rule below
# would write the build record over the user's file.
PIPELINE_CONFIG := $(if $(filter command line environment,$(origin CONFIG)),$(CONFIG))
override CONFIG := $(BUILD)/config.mk

# Filled by the module.mk files.
TOOLS :=
PLUGINS :=
UNIT_TESTS :=
FUZZERS :=
MAN_PAGES := $(wildcard man/*.1 man/*.5)

# ---- generic rules
$(OBJ)/%.o: %.c $(CONFIG)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB)/%.a:
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

# link: objects and archives from the prerequisites, libraries from LDLIBS_<tool>
define link_tool
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(1) $(LDLIBS) -lm
endef

include common/module.mk datasets/module.mk
include $(filter-out common/module.mk datasets/module.mk tests/module.mk,$(wildcard */module.mk))
include tests/module.mk

# ---- configuration record and probe report: every object depends on it, so a
# changed knob rebuilds everything (redis .make-settings)
CONFIG_LINE := cc=$(CC) cflags=$(CFLAGS) sanitize=$(SANITIZE) openmp=$(OPENMP) cuda=$(CUDA) ffmpeg=$(HAVE_FFMPEG) native=$(NATIVE)
$(CONFIG): FORCE
	@mkdir -p $(@D)
	@echo "probe: zlib        $(HAVE_ZLIB)"
	@echo "probe: liblzma     $(HAVE_LZMA)"
	@echo "probe: libarchive  $(HAVE_ARCHIVE)"
	@echo "probe: ffmpeg libs $(HAVE_FFMPEG) (libavformat libavcodec libswscale libavutil)"
	@echo "probe: openmp      $(OPENMP)$(if $(filter no,$(HAVE_OPENMP)), (HAVE_OPENMP=no),)"
	@echo "probe: cuda/nvcc   $(CUDA)$(if $(filter no,$(CUDA)), (optional; HAVE_CUDA=yes to require),)"
	@missing="$(if $(filter no,$(HAVE_ZLIB)),zlib )$(if $(filter no,$(HAVE_LZMA)),liblzma )$(if $(filter no,$(HAVE_ARCHIVE)),libarchive )$(if $(filter no,$(HAVE_FFMPEG)),ffmpeg-libraries )$(if $(filter no,$(OPENMP)),$(if $(filter no,$(HAVE_OPENMP)),,openmp ))"; \
	if [ -n "$$missing" ]; then echo "kiln: missing required dependencies: $$missing(run scripts/deps.sh)" >&2; exit 1; fi
	@if [ "$(HAVE_CUDA)" = yes ] && [ "$(CUDA)" != yes ]; then echo "kiln: HAVE_CUDA=yes but $(NVCC) was not found" >&2; exit 1; fi
	@if [ ! -f $@ ] || [ "$$(cat $@)" != "$(CONFIG_LINE)" ]; then echo "$(CONFIG_LINE)" > $@; fi

.PHONY: all FORCE deps demo test check test-run fuzz install install-files uninstall clean man-lint pipeline
# Keep objects that only feed a link (the fuzz and replay objects).
.SECONDARY:
FORCE:

all: $(CONFIG) $(TOOLS) $(PLUGINS)

deps:
	@scripts/deps.sh

# Parallel sub-builds unless the caller chose -j.
JOBS := $(if $(findstring j,$(firstword -$(MAKEFLAGS))),,-j$(shell nproc 2>/dev/null || echo 2))

demo: deps
	@$(MAKE) --no-print-directory $(JOBS) all
	@scripts/demo.sh $(BIN)

test: deps
	@$(MAKE) --no-print-directory $(JOBS) all tests-build
	@tests/run.sh --bin $(BIN) --tbin $(TBIN) $(if $(T),--filter '$(T)')

# The same suite under ASan/UBSan, in a separate build folder.
check: deps
	@$(MAKE) --no-print-directory $(JOBS) BUILD=build/check SANITIZE=address,undefined all tests-build
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  tests/run.sh --bin build/check/bin --tbin build/check/tests --sanitized $(if $(T),--filter '$(T)')

# install-files copies what is built (tests call it on an existing build).
# The ByteCraft path (corpus -> ... -> Table 1), see scripts/pipeline.mk.
pipeline: all
	@$(MAKE) --no-print-directory -f scripts/pipeline.mk BIN=$(BIN) $(if $(PIPELINE_CONFIG),CONFIG=$(PIPELINE_CONFIG))

install: all
	@$(MAKE) --no-print-directory install-files

install-files:
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(TOOLS) $(DESTDIR)$(BINDIR)/
	$(if $(wildcard $(PLUGINS)),install -d $(DESTDIR)$(BINDIR)/../lib/kiln && install -m 755 $(wildcard $(PLUGINS)) $(DESTDIR)$(BINDIR)/../lib/kiln/)
	$(if $(wildcard man/*.1),install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/)
	$(if $(wildcard man/*.5),install -m 644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5/)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(TOOLS)))
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/../lib/kiln/,$(notdir $(PLUGINS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard man/*.1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard man/*.5)))

man-lint:
	@for m in $(MAN_PAGES); do out=$$(groff -man -ww -z $$m 2>&1); \
	  if [ -n "$$out" ]; then echo "$$m: $$out"; exit 1; fi; done; echo "man pages clean"

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
