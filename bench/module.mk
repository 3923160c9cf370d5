# bench/: benchmark programs (not part of `make all`; each bench/*.sh builds
# what it needs).
$(OBJ)/bench/jaro_bench.o: EXTRA_CFLAGS += $(OMP_CFLAGS)
$(BUILD)/bench/jaro_bench: $(OBJ)/bench/jaro_bench.o $(OBJ)/swf/swf_jaro.o
	$(call link_tool,$(OMP_LIBS))
$(OBJ)/bench/bpe_encode_bench.o: EXTRA_CFLAGS += $(OMP_CFLAGS)
$(BUILD)/bench/bpe_encode_bench: $(OBJ)/bench/bpe_encode_bench.o $(LIB)/libbpe.a $(LIB)/libkiln.a
	$(call link_tool,$(COMMON_LDLIBS) $(OMP_LIBS))
