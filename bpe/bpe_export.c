/*
 * bpe_export.c - write a vocabulary as a HuggingFace tokenizer.json: a BPE
 * model whose alphabet is GPT-2's ByteLevel table (every byte stands for one
 * printable code point), no normalizer and no pre-tokenizer (each input is
 * one word, as in training), and a ByteLevel decoder. Because every Kiln
 * token has distinct bytes, the HF model's (rank, new id) table is exactly
 * Kiln's merge list, and HF's BPE encoding equals bpe_encode.
 */
#include "bpe_internal.h"

#include <stdlib.h>

uint32_t bpe_byte_to_unicode(uint8_t b)
{
	/* GPT-2 bytes_to_unicode: printable Latin-1 bytes map to themselves, the
	 * other 68 take code points 256, 257, ... in byte order. */
	if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174) return b;
	uint32_t n = 0;
	for (uint32_t c = 0; c < b; c++)
		if (!((c >= 33 && c <= 126) || (c >= 161 && c <= 172) || c >= 174)) n++;
	return 256 + n;
}

typedef struct { char *p; size_t n, cap; int bad; } sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
	if (b->bad) return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 16;
		while (cap < b->n + n + 1) cap *= 2;
		char *q = realloc(b->p, cap);
		if (!q) { b->bad = 1; return; }
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

/* A token's string: its bytes through the ByteLevel table, UTF-8 encoded.
 * Control bytes and space map to U+0100 and up; of the printable ASCII that
 * maps to itself only '"' and '\\' need a JSON escape. */
static void put_token(sbuf *b, const bpe_vocab *v, uint32_t id)
{
	const uint8_t *p = v->bytes + v->off[id];
	char tmp[256];
	size_t k = 0;
	for (uint32_t i = 0; i < v->len[id]; i++) {
		uint32_t c = bpe_byte_to_unicode(p[i]);
		if (c == '"' || c == '\\') { tmp[k++] = '\\'; tmp[k++] = (char)c; }
		else if (c < 0x80) tmp[k++] = (char)c;
		else { tmp[k++] = (char)(0xc0 | (c >> 6)); tmp[k++] = (char)(0x80 | (c & 63)); }
		if (k > sizeof tmp - 4) { put(b, tmp, k); k = 0; }
	}
	put(b, tmp, k);
}

int bpe_export_hf(const bpe_vocab *v, uint32_t id_offset, char **out, size_t *len)
{
	uint32_t V = 256 + v->n_merges;
	if ((uint64_t)id_offset + V > UINT32_MAX) return BPE_ERANGE;
	sbuf b = {0};
	char num[32];
	puts_(&b, "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n"
	          "  \"added_tokens\": [],\n  \"normalizer\": null,\n  \"pre_tokenizer\": null,\n"
	          "  \"post_processor\": null,\n"
	          "  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": false},\n"
	          "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
	          "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n"
	          "    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n"
	          "    \"vocab\": {");
	for (uint32_t id = 0; id < V; id++) {
		puts_(&b, id ? ",\n      \"" : "\n      \"");
		put_token(&b, v, id);
		snprintf(num, sizeof num, "\": %u", id + id_offset);
		puts_(&b, num);
	}
	puts_(&b, "\n    },\n    \"merges\": [");
	for (uint32_t k = 0; k < v->n_merges; k++) {
		puts_(&b, k ? ",\n      \"" : "\n      \"");
		put_token(&b, v, v->pairs[2 * k]);
		puts_(&b, " ");
		put_token(&b, v, v->pairs[2 * k + 1]);
		puts_(&b, "\"");
	}
	puts_(&b, "\n    ]\n  }\n}\n");
	if (b.bad) { free(b.p); return BPE_ENOMEM; }
	*out = b.p;
	*len = b.n;
	return BPE_OK;
}
