# bpe/: byte-level BPE (libbpe.a) and kiln-bpe. OpenMP only on the objects
# that use it; everything also builds and passes with HAVE_OPENMP=no.
BPE_SRCS := $(filter-out bpe/bpe_main.c,$(wildcard bpe/bpe_*.c))
LIBBPE := $(LIB)/libbpe.a
$(LIBBPE): $(BPE_SRCS:%.c=$(OBJ)/%.o)
$(OBJ)/bpe/bpe_train.o $(OBJ)/bpe/bpe_main.o $(OBJ)/tests/unit/bpe_test.o: EXTRA_CFLAGS += $(OMP_CFLAGS)

TOOLS += $(BIN)/kiln-bpe
$(BIN)/kiln-bpe: $(OBJ)/bpe/bpe_main.o $(LIBBPE) $(LIBSHARD) $(LIBCOMMON)
	$(call link_tool,$(SHARD_LDLIBS) $(COMMON_LDLIBS) $(OMP_LIBS))

UNIT_TESTS += $(TBIN)/bpe_test
$(TBIN)/bpe_test: $(OBJ)/tests/unit/bpe_test.o $(OBJ)/tests/unit/test_main.o $(LIBBPE) $(LIBCOMMON)
	$(call link_tool,$(COMMON_LDLIBS) $(OMP_LIBS))

# fuzz target: tests/fuzz/bpe_fuzz.c (vocabulary loader)
FUZZERS += bpe
FUZZ_DEPS_bpe := $(LIBBPE)
FUZZ_LDLIBS_bpe := $(OMP_LIBS)
