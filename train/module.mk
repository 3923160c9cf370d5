# train/: the trainer library (libtrain.a: model, data loader, optimizers,
# checkpoints, sampler; CPU reference with OpenMP) and kiln-train.
# -fopenmp is scoped to the trainer's objects. The CUDA backend (issue 8:
# train/ *.cu) is to join only when nvcc was found ($(CUDA) = yes).
TRAIN_SRCS := $(wildcard train/trn_*.c)
TRAIN_TOOL_SRCS := $(filter-out train/trn_%,$(wildcard train/train_*.c))
LIBTRAIN := $(LIB)/libtrain.a
$(LIBTRAIN): $(TRAIN_SRCS:%.c=$(OBJ)/%.o)
# -O3: the kernels are written so that vectorising them keeps results exact
$(OBJ)/train/%.o: EXTRA_CFLAGS += $(OMP_CFLAGS) -O3 $(if $(OMP_CFLAGS),,-Wno-unknown-pragmas)
$(OBJ)/tests/unit/train_test.o: EXTRA_CFLAGS += $(OMP_CFLAGS)
TRAIN_LDLIBS := $(SHARD_LDLIBS) $(OMP_LIBS)

TOOLS += $(BIN)/kiln-train
$(BIN)/kiln-train: $(TRAIN_TOOL_SRCS:%.c=$(OBJ)/%.o) $(LIBTRAIN) $(LIBSHARD) $(LIBCOMMON)
	$(call link_tool,$(TRAIN_LDLIBS) $(COMMON_LDLIBS))

UNIT_TESTS += $(TBIN)/train_test
$(TBIN)/train_test: $(OBJ)/tests/unit/train_test.o $(OBJ)/tests/unit/test_main.o $(LIBTRAIN) $(LIBSHARD) $(LIBCOMMON)
	$(call link_tool,$(TRAIN_LDLIBS) $(COMMON_LDLIBS))

# fuzz target: tests/fuzz/train_fuzz.c (config text and checkpoint reader)
FUZZERS += train
FUZZ_DEPS_train := $(LIBTRAIN) $(LIBSHARD)
FUZZ_LDLIBS_train := $(TRAIN_LDLIBS)
