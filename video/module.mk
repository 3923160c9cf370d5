# video/: libvideo (decode, fps selection, scaling, labels, PNG) and kiln-video.
# Only the files that talk to libav* get FFMPEG_CFLAGS.
VIDEO_SRCS := video/video_select.c video/video_actions.c video/video_ffmpeg.c \
	video/video_par.c video/video_png.c
LIBVIDEO := $(LIB)/libvideo.a
$(LIBVIDEO): $(VIDEO_SRCS:%.c=$(OBJ)/%.o)
$(OBJ)/video/video_ffmpeg.o $(OBJ)/video/video_par.o $(OBJ)/video/video_png.o: EXTRA_CFLAGS += $(FFMPEG_CFLAGS)
VIDEO_LDLIBS := $(FFMPEG_LIBS) -lpthread

TOOLS += $(BIN)/kiln-video
$(BIN)/kiln-video: $(OBJ)/video/video_main.o $(LIBVIDEO) $(LIBSHARD) $(LIBCOMMON)
	$(call link_tool,$(VIDEO_LDLIBS) $(SHARD_LDLIBS) $(COMMON_LDLIBS))

UNIT_TESTS += $(TBIN)/video_test
$(TBIN)/video_test: $(OBJ)/tests/unit/video_test.o $(OBJ)/tests/unit/test_main.o $(LIBVIDEO) $(LIBSHARD) $(LIBCOMMON)
	$(call link_tool,$(VIDEO_LDLIBS) $(SHARD_LDLIBS) $(COMMON_LDLIBS))

# fuzz target: tests/fuzz/video_fuzz.c (action labels, fps rule)
FUZZERS += video
FUZZ_DEPS_video := $(LIBVIDEO)
FUZZ_LDLIBS_video := $(VIDEO_LDLIBS)
