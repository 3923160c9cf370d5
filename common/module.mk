# common/: tool-side helpers (messages, parsing, atomic output, progress,
# JSON, hashing, file walking), linked into every tool as libkiln.a.
COMMON_SRCS := $(wildcard common/kiln_*.c)
LIBCOMMON := $(LIB)/libkiln.a
$(LIBCOMMON): $(COMMON_SRCS:%.c=$(OBJ)/%.o)
$(OBJ)/common/kiln_hash.o: EXTRA_CFLAGS += $(AVUTIL_CFLAGS)
# Libraries every tool links because of common/ (SHA-256 comes from libavutil).
COMMON_LDLIBS := $(AVUTIL_LIBS)
