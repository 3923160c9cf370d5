# datasets/: the shard format (libshard.a) and kiln-shard.
SHARD_SRCS := $(filter-out datasets/shard_main.c,$(wildcard datasets/shard_*.c))
LIBSHARD := $(LIB)/libshard.a
$(LIBSHARD): $(SHARD_SRCS:%.c=$(OBJ)/%.o)
SHARD_LDLIBS := $(ZLIB_LIBS)

TOOLS += $(BIN)/kiln-shard
$(BIN)/kiln-shard: $(OBJ)/datasets/shard_main.o $(LIBSHARD) $(LIBCOMMON)
	$(call link_tool,$(SHARD_LDLIBS) $(COMMON_LDLIBS))

UNIT_TESTS += $(TBIN)/shard_test
$(TBIN)/shard_test: $(OBJ)/tests/unit/shard_test.o $(OBJ)/tests/unit/test_main.o $(LIBSHARD) $(LIBCOMMON)
	$(call link_tool,$(SHARD_LDLIBS) $(COMMON_LDLIBS))

# fuzz target: tests/fuzz/shard_fuzz.c (see tests/module.mk)
FUZZERS += shard
FUZZ_DEPS_shard := $(LIBSHARD)
FUZZ_LDLIBS_shard := $(SHARD_LDLIBS)
