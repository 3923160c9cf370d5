/*
 * bpe_stats.c - what a vocabulary does to a held-out set: bytes per token,
 * how often each id is used (and so how much of the vocabulary is used).
 * Length histograms are computed by the tool from the per-id counts.
 */
#include "bpe_internal.h"

#include <stdlib.h>

int bpe_stats_init(bpe_stats *s, uint32_t vocab_size)
{
	memset(s, 0, sizeof *s);
	s->uses = calloc(vocab_size ? vocab_size : 1, sizeof *s->uses);
	if (!s->uses) return BPE_ENOMEM;
	s->vocab_size = vocab_size;
	return BPE_OK;
}

void bpe_stats_add(bpe_stats *s, const uint32_t *ids, size_t n, size_t n_bytes)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] < s->vocab_size) s->uses[ids[i]]++;
	s->tokens += n;
	s->bytes += n_bytes;
	s->docs++;
}

void bpe_stats_merge(bpe_stats *a, const bpe_stats *b)
{
	for (uint32_t i = 0; i < a->vocab_size && i < b->vocab_size; i++) a->uses[i] += b->uses[i];
	a->tokens += b->tokens;
	a->bytes += b->bytes;
	a->docs += b->docs;
}

uint64_t bpe_stats_used(const bpe_stats *s)
{
	uint64_t u = 0;
	for (uint32_t i = 0; i < s->vocab_size; i++) u += s->uses[i] != 0;
	return u;
}

void bpe_stats_free(bpe_stats *s)
{
	free(s->uses);
	s->uses = NULL;
}
