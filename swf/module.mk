# swf/: the SWF library (libswf.a) and kiln-swf. swf_main.c and swf_cmd_*.c
# are the tool; everything else is the library. OpenMP only where used.
SWF_TOOL_SRCS := swf/swf_main.c $(wildcard swf/swf_cmd_*.c)
SWF_SRCS := $(filter-out $(SWF_TOOL_SRCS),$(wildcard swf/swf_*.c))
LIBSWF := $(LIB)/libswf.a
$(LIBSWF): $(SWF_SRCS:%.c=$(OBJ)/%.o)
SWF_LDLIBS := $(ZLIB_LIBS) $(LZMA_LIBS)

$(OBJ)/swf/swf_cmd_ingest.o: EXTRA_CFLAGS += $(OMP_CFLAGS) $(ARCHIVE_CFLAGS)
$(OBJ)/swf/swf_cmd_eval.o: EXTRA_CFLAGS += $(OMP_CFLAGS)

TOOLS += $(BIN)/kiln-swf
$(BIN)/kiln-swf: $(SWF_TOOL_SRCS:%.c=$(OBJ)/%.o) $(LIBSWF) $(LIBSHARD) $(LIBCOMMON)
	$(call link_tool,$(SWF_LDLIBS) $(SHARD_LDLIBS) $(ARCHIVE_LIBS) $(OMP_LIBS) $(COMMON_LDLIBS))

UNIT_TESTS += $(TBIN)/swf_test
$(TBIN)/swf_test: $(OBJ)/tests/unit/swf_test.o $(OBJ)/tests/unit/test_main.o $(LIBSWF) $(LIBCOMMON)
	$(call link_tool,$(SWF_LDLIBS) $(COMMON_LDLIBS))

# fuzz target: tests/fuzz/swf_fuzz.c (header, both decompressors, tag walk,
# tag bodies, prompt, re-compression)
FUZZERS += swf
FUZZ_DEPS_swf := $(LIBSWF)
FUZZ_LDLIBS_swf := $(SWF_LDLIBS)

# bench peer: inflate-only reader (bench/swf.sh builds it with this rule)
$(BUILD)/bench/swf_inflate: $(OBJ)/bench/swf_inflate.o
	$(call link_tool,$(SWF_LDLIBS))
