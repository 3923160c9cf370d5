# train/: the trainer library (libtrain.a: model, data loader, optimizers,
# checkpoints, sampler; CPU reference with OpenMP) and kiln-train.
# -fopenmp is scoped to the trainer's objects.
TRAIN_SRCS := $(wildcard train/trn_*.c)
TRAIN_TOOL_SRCS := $(filter-out train/trn_%,$(wildcard train/train_*.c))
LIBTRAIN := $(LIB)/libtrain.a
TRAIN_LDLIBS := $(SHARD_LDLIBS) $(OMP_LIBS)

# The CUDA backend (issue 8: train/*.cu) joins libtrain when nvcc was found,
# except in sanitizer builds (make check, make fuzz), which test the CPU
# path: nvcc objects carry no sanitizer instrumentation, and the sanitizer
# runtimes and the CUDA driver do not share an address space well.
TRAIN_CU_OBJS :=
ifeq ($(CUDA)$(SANITIZE),yes)
CUDA_HOME  ?= $(patsubst %/bin/,%,$(dir $(shell command -v $(NVCC))))
# sm_80 (A100), sm_90 (H100/H200) and PTX for later GPUs
NVCC_ARCHS ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
	-gencode arch=compute_90,code=compute_90
NVCCFLAGS  ?= -O3
TRAIN_CU_OBJS := $(patsubst %.cu,$(OBJ)/%.cu.o,$(wildcard train/*.cu))
$(OBJ)/train/%.cu.o: train/%.cu train/trn_cuda.h train/train_internal.h train/train.h $(CONFIG)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  NVCC    $<")
	$(Q)$(NVCC) $(NVCCFLAGS) $(NVCC_ARCHS) -std=c++17 -Itrain -Xcompiler -fPIC,-Wall -c $< -o $@
$(OBJ)/train/trn_backend.o: EXTRA_CFLAGS += -DKILN_TRAIN_CUDA
TRAIN_LDLIBS += -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcublas -lcudart -lstdc++
# the CPU/CUDA agreement test: its tests skip where there is no GPU
UNIT_TESTS += $(TBIN)/train_cuda_test
$(OBJ)/tests/unit/train_cuda_test.o: EXTRA_CFLAGS += -DKILN_TRAIN_CUDA
$(TBIN)/train_cuda_test: $(OBJ)/tests/unit/train_cuda_test.o $(OBJ)/tests/unit/test_main.o $(LIBTRAIN) $(LIBSHARD) $(LIBCOMMON)
	$(call link_tool,$(TRAIN_LDLIBS) $(COMMON_LDLIBS))
endif

$(LIBTRAIN): $(TRAIN_SRCS:%.c=$(OBJ)/%.o) $(TRAIN_CU_OBJS)
# -O3: the kernels are written so that vectorising them keeps results exact
$(OBJ)/train/%.o: EXTRA_CFLAGS += $(OMP_CFLAGS) -O3 $(if $(OMP_CFLAGS),,-Wno-unknown-pragmas)
$(OBJ)/tests/unit/train_test.o: EXTRA_CFLAGS += $(OMP_CFLAGS)

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
