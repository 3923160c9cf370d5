# sprites/: libsprites (decode, fit, palette, map, render, shade, synth) and
# kiln-sprites. Only spr_image.c includes ffmpeg headers; the OpenMP loops
# live in spr_palette.c and the tool.
SPRITES_SRCS := $(wildcard sprites/spr_*.c)
LIBSPRITES := $(LIB)/libsprites.a
$(LIBSPRITES): $(SPRITES_SRCS:%.c=$(OBJ)/%.o)
$(OBJ)/sprites/spr_image.o: EXTRA_CFLAGS += $(FFMPEG_CFLAGS)
SPRITES_TOOL_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(wildcard sprites/sprites_*.c))
$(OBJ)/sprites/spr_palette.o $(SPRITES_TOOL_OBJS): EXTRA_CFLAGS += $(OMP_CFLAGS)
SPRITES_LDLIBS := $(FFMPEG_LIBS) $(OMP_LIBS)

TOOLS += $(BIN)/kiln-sprites
$(BIN)/kiln-sprites: $(SPRITES_TOOL_OBJS) $(LIBSPRITES) $(LIBSHARD) $(LIBCOMMON)
	$(call link_tool,$(FFMPEG_LIBS) $(SHARD_LDLIBS) $(COMMON_LDLIBS) $(OMP_LIBS))

$(OBJ)/tests/unit/sprites_test.o: EXTRA_CFLAGS += $(OMP_CFLAGS)
UNIT_TESTS += $(TBIN)/sprites_test
$(TBIN)/sprites_test: $(OBJ)/tests/unit/sprites_test.o $(OBJ)/tests/unit/test_main.o $(LIBSPRITES) $(LIBSHARD) $(LIBCOMMON)
	$(call link_tool,$(SPRITES_LDLIBS) $(SHARD_LDLIBS) $(COMMON_LDLIBS))

# fuzz target: tests/fuzz/sprites_fuzz.c (decode with a small cap, then fit)
FUZZERS += sprites
FUZZ_DEPS_sprites := $(LIBSPRITES)
FUZZ_LDLIBS_sprites := $(SPRITES_LDLIBS)
