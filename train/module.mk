# train/: the trainer library (libtrain.a: model, data loader, optimizers,
# checkpoints, sampler; CPU reference with OpenMP) and kiln-train.
# -fopenmp is scoped to the trainer's objects.
TRAIN_SRCS := $(wildcard train/trn_*.c)
TRAIN_TOOL_SRCS := $(filter-out train/trn_%,$(wildcard train/train_*.c))
LIBTRAIN := $(LIB)/libtrain.a
TRAIN_LDLIBS := $(SHARD_LDLIBS) $(OMP_LIBS)

# The CUDA backend (issue 8: train/*.cu) is built when nvcc was found, as a
# plugin that trn_backend.c loads on first use (build/lib/kiln/, i.e.
# ../lib/kiln beside the executable; installed the same way): cuBLAS is
# only mapped into runs that train on a GPU. Programs that may load it are
# linked -rdynamic so it finds libtrain's functions in them. Sanitizer
# builds (make check, make fuzz) test the CPU path and leave CUDA out:
# nvcc objects carry no instrumentation, and the sanitizer runtimes and the
# CUDA driver do not share an address space well.
TRAIN_CU_PLUGIN :=
TRAIN_RDYNAMIC :=
ifeq ($(CUDA)$(SANITIZE),yes)
CUDA_HOME  ?= $(patsubst %/bin/,%,$(dir $(shell command -v $(NVCC))))
# sm_80 (A100), sm_90 (H100/H200) and PTX for later GPUs
NVCC_ARCHS ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
	-gencode arch=compute_90,code=compute_90
NVCCFLAGS  ?= -O3 -fmad=false   # fp32 as the CPU rounds it: no fused multiply-adds
TRAIN_CU_OBJS := $(patsubst %.cu,$(OBJ)/%.cu.o,$(wildcard train/*.cu))
$(OBJ)/train/%.cu.o: train/%.cu train/trn_cuda.h train/train_internal.h train/train.h $(CONFIG)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  NVCC    $<")
	$(Q)$(NVCC) $(NVCCFLAGS) $(NVCC_ARCHS) -std=c++17 -Itrain -Xcompiler -fPIC,-Wall -c $< -o $@
TRAIN_CU_PLUGIN := $(LIB)/kiln/kiln-train-cuda.so
PLUGINS += $(TRAIN_CU_PLUGIN)
$(TRAIN_CU_PLUGIN): $(TRAIN_CU_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared $(ALL_LDFLAGS) -o $@ $^ -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 \
	  -lcublas -lcudart -lstdc++ -lm
$(OBJ)/train/trn_backend.o: EXTRA_CFLAGS += -DKILN_TRAIN_CUDA
TRAIN_RDYNAMIC := -rdynamic
# the CPU/CUDA agreement test: its tests skip where there is no GPU
UNIT_TESTS += $(TBIN)/train_cuda_test
$(OBJ)/tests/unit/train_cuda_test.o: EXTRA_CFLAGS += -DKILN_TRAIN_CUDA
$(TBIN)/train_cuda_test: $(OBJ)/tests/unit/train_cuda_test.o $(OBJ)/tests/unit/test_main.o $(LIBTRAIN) $(LIBSHARD) $(LIBCOMMON) | $(TRAIN_CU_PLUGIN)
	$(call link_tool,$(TRAIN_RDYNAMIC) $(TRAIN_LDLIBS) $(COMMON_LDLIBS))
endif

$(LIBTRAIN): $(TRAIN_SRCS:%.c=$(OBJ)/%.o)
# -O3: the kernels are written so that vectorising them keeps results exact
$(OBJ)/train/%.o: EXTRA_CFLAGS += $(OMP_CFLAGS) -O3 $(if $(OMP_CFLAGS),,-Wno-unknown-pragmas)
$(OBJ)/tests/unit/train_test.o: EXTRA_CFLAGS += $(OMP_CFLAGS)

TOOLS += $(BIN)/kiln-train
$(BIN)/kiln-train: $(TRAIN_TOOL_SRCS:%.c=$(OBJ)/%.o) $(LIBTRAIN) $(LIBSHARD) $(LIBCOMMON) | $(TRAIN_CU_PLUGIN)
	$(call link_tool,$(TRAIN_RDYNAMIC) $(TRAIN_LDLIBS) $(COMMON_LDLIBS))

UNIT_TESTS += $(TBIN)/train_test
$(TBIN)/train_test: $(OBJ)/tests/unit/train_test.o $(OBJ)/tests/unit/test_main.o $(LIBTRAIN) $(LIBSHARD) $(LIBCOMMON)
	$(call link_tool,$(TRAIN_LDLIBS) $(COMMON_LDLIBS))

# fuzz target: tests/fuzz/train_fuzz.c (config text and checkpoint reader)
FUZZERS += train
FUZZ_DEPS_train := $(LIBTRAIN) $(LIBSHARD)
FUZZ_LDLIBS_train := $(TRAIN_LDLIBS)
