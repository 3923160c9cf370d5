# tests/: unit-test harness, fuzz-target replay drivers and libFuzzer builds.
#
# A module adds:
#   UNIT_TESTS += $(TBIN)/<lib>_test       (linked with $(OBJ)/tests/unit/test_main.o)
#   FUZZERS += <name>                      (tests/fuzz/<name>_fuzz.c, seeds in tests/fuzz/corpus/<name>/)
#   FUZZ_DEPS_<name> := <archives>         FUZZ_LDLIBS_<name> := <-l flags>
# `make test` builds every unit test and a plain-main replay driver per fuzz
# target (tests/fuzz/replay.c) that runs the committed seeds without libFuzzer.

UNIT_TESTS += $(TBIN)/common_test
$(TBIN)/common_test: $(OBJ)/tests/unit/common_test.o $(OBJ)/tests/unit/test_main.o $(LIBCOMMON)
	$(call link_tool,$(COMMON_LDLIBS))

# Jaro-Winkler evaluation core (swf/swf_jaro.c) against its naive reference.
UNIT_TESTS += $(TBIN)/jaro_test
$(TBIN)/jaro_test: $(OBJ)/tests/unit/jaro_test.o $(OBJ)/tests/unit/test_main.o $(OBJ)/swf/swf_jaro.o
	$(call link_tool,)

# Prerequisite lists below are expanded when read: every UNIT_TESTS += must
# come before this point (module.mk files are included earlier).
.SECONDEXPANSION:
FUZZ_REPLAYS = $(FUZZERS:%=$(TBIN)/fuzz_%_replay)
$(TBIN)/fuzz_%_replay: $(OBJ)/tests/fuzz/%_fuzz.o $(OBJ)/tests/fuzz/replay.o $$(FUZZ_DEPS_$$*) $(LIBCOMMON)
	$(call link_tool,$(FUZZ_LDLIBS_$*) $(COMMON_LDLIBS) $(OMP_LIBS))

.PHONY: tests-build fuzz fuzz-bins
tests-build: $(UNIT_TESTS) $(FUZZ_REPLAYS)

# libFuzzer binaries: everything rebuilt by clang with coverage + ASan/UBSan.
ifeq ($(FUZZING),1)
KILN_CFLAGS += -fsanitize=fuzzer-no-link
endif
FUZZ_BINS = $(FUZZERS:%=$(BUILD)/fuzz/%_fuzz)
fuzz:
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang HAVE_OPENMP=no FUZZING=1 \
	  SANITIZE=address,undefined fuzz-bins
	@echo "fuzzers in build/fuzz/fuzz/: run e.g. build/fuzz/fuzz/shard_fuzz tests/fuzz/corpus/shard -max_total_time=600"
fuzz-bins: $$(FUZZ_BINS)
$(BUILD)/fuzz/%_fuzz: $(OBJ)/tests/fuzz/%_fuzz.o $$(FUZZ_DEPS_$$*) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $(filter %.o %.a,$^) $(FUZZ_LDLIBS_$*) $(COMMON_LDLIBS) -lm
