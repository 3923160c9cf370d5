/*
 * bpe_fuzz.c - libFuzzer target for the vocabulary loader (bpe_vocab_parse).
 * Whatever the bytes, parsing must fail cleanly or give a vocabulary that
 * round-trips through the writer, encodes and decodes its own input exactly,
 * and exports; any mismatch aborts so the fuzzer reports it.
 */
#include "bpe.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bpe_vocab *v;
	bpe_error err;
	/* A small byte budget keeps hostile doubling chains cheap to refuse. */
	if (bpe_vocab_parse(data, size, 1u << 20, &v, &err) != BPE_OK) return 0;
	char *txt;
	size_t len;
	if (bpe_vocab_format(v, NULL, 0, &txt, &len) == BPE_OK) {
		bpe_vocab *w;
		if (bpe_vocab_parse(txt, len, 1u << 20, &w, &err) != BPE_OK) abort();
		if (bpe_vocab_merges(w) != bpe_vocab_merges(v) ||
		    memcmp(bpe_vocab_pairs(w), bpe_vocab_pairs(v), 2 * bpe_vocab_merges(v) * sizeof(uint32_t)))
			abort();
		bpe_vocab_free(w);
		free(txt);
	}
	/* Encode the input itself (bounded) and decode it back. */
	bpe_encoder *e;
	bpe_workspace *ws = bpe_workspace_create();
	if (ws && bpe_encoder_create(v, &e) == BPE_OK) {
		size_t n = size < 4096 ? size : 4096, m, back_n;
		uint32_t *ids = malloc((n + 1) * sizeof *ids);
		uint8_t *back = malloc(n + 1);
		if (ids && back && bpe_encode(e, ws, data, n, ids, &m) == BPE_OK) {
			if (m > n || bpe_decode(v, ids, m, back, &back_n, NULL) != BPE_OK || back_n != n || memcmp(back, data, n))
				abort();
		}
		free(ids);
		free(back);
		bpe_encoder_free(e);
	}
	bpe_workspace_free(ws);
	char *js;
	if (bpe_vocab_merges(v) < 4096 && bpe_export_hf(v, 0, &js, &len) == BPE_OK) free(js);
	bpe_vocab_free(v);
	return 0;
}
