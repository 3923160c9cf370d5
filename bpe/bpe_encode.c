/*
 * bpe_encode.c - apply a vocabulary: bytes -> ids and ids -> bytes.
 *
 * Encoding keeps a min-heap of (rank, position) over the adjacent pairs that
 * have a merge. A pair created by merge r only ever involves token 256 + r,
 * whose own merges all rank after r, so ranks come off the heap in order and,
 * within one rank, left to right: exactly "apply the merges in rank order,
 * each over the whole document", which is also how training rewrote it.
 * Entries made stale by a neighbouring merge are recognised by a per-position
 * record of the rank of the pair that currently starts there.
 */
#include "bpe_internal.h"

#include <stdlib.h>

#define NONE 0xffffffffu

struct bpe_encoder {
	const bpe_vocab *v;
	uint32_t byte_rank[65536];   /* rank of (a, b) for two bytes, NONE if no merge */
	uint64_t *key;               /* open addressing: a << 32 | b, UINT64_MAX = empty */
	uint32_t *rank;
	uint64_t mask;
};

struct bpe_workspace {
	uint32_t *tok, *nxt, *prv, *rk;
	uint64_t *heap;
	size_t cap;
};

static inline uint64_t slot_of(uint64_t k, uint64_t mask)
{
	k *= 0x9e3779b97f4a7c15ull;
	return (k ^ (k >> 29)) & mask;
}

int bpe_encoder_create(const bpe_vocab *v, bpe_encoder **out)
{
	*out = NULL;
	bpe_encoder *e = malloc(sizeof *e);
	if (!e) return BPE_ENOMEM;
	e->v = v;
	uint64_t cap = 1024;
	while (cap < (uint64_t)v->n_merges * 2) cap *= 2;
	e->key = malloc(cap * sizeof *e->key);
	e->rank = malloc(cap * sizeof *e->rank);
	if (!e->key || !e->rank) { bpe_encoder_free(e); return BPE_ENOMEM; }
	memset(e->key, 0xff, cap * sizeof *e->key);
	e->mask = cap - 1;
	for (size_t i = 0; i < 65536; i++) e->byte_rank[i] = NONE;
	for (uint32_t r = 0; r < v->n_merges; r++) {
		uint32_t a = v->pairs[2 * r], b = v->pairs[2 * r + 1];
		uint64_t k = (uint64_t)a << 32 | b, s = slot_of(k, e->mask);
		while (e->key[s] != UINT64_MAX && e->key[s] != k) s = (s + 1) & e->mask;
		if (e->key[s] == k) continue;   /* cannot happen in a valid vocabulary */
		e->key[s] = k;
		e->rank[s] = r;
		if ((a | b) < 256) e->byte_rank[a << 8 | b] = r;
	}
	*out = e;
	return BPE_OK;
}

void bpe_encoder_free(bpe_encoder *e)
{
	if (!e) return;
	free(e->key);
	free(e->rank);
	free(e);
}

static inline uint32_t rank_of(const bpe_encoder *e, uint32_t a, uint32_t b)
{
	if ((a | b) < 256) return e->byte_rank[a << 8 | b];
	uint64_t k = (uint64_t)a << 32 | b;
	for (uint64_t s = slot_of(k, e->mask);; s = (s + 1) & e->mask) {
		if (e->key[s] == k) return e->rank[s];
		if (e->key[s] == UINT64_MAX) return NONE;
	}
}

bpe_workspace *bpe_workspace_create(void)
{
	return calloc(1, sizeof(bpe_workspace));
}

void bpe_workspace_free(bpe_workspace *w)
{
	if (!w) return;
	free(w->tok); free(w->nxt); free(w->prv); free(w->rk); free(w->heap);
	free(w);
}

static int ws_reserve(bpe_workspace *w, size_t n)
{
	if (n <= w->cap) return BPE_OK;
	free(w->tok); free(w->nxt); free(w->prv); free(w->rk); free(w->heap);
	w->tok = malloc(n * sizeof *w->tok);
	w->nxt = malloc(n * sizeof *w->nxt);
	w->prv = malloc(n * sizeof *w->prv);
	w->rk = malloc(n * sizeof *w->rk);
	w->heap = malloc(n * sizeof *w->heap);
	w->cap = n;
	if (!w->tok || !w->nxt || !w->prv || !w->rk || !w->heap) {
		free(w->tok); free(w->nxt); free(w->prv); free(w->rk); free(w->heap);
		memset(w, 0, sizeof *w);
		return BPE_ENOMEM;
	}
	return BPE_OK;
}

static void sift_down(uint64_t *h, size_t n, size_t i)
{
	uint64_t e = h[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n) break;
		if (c + 1 < n && h[c + 1] < h[c]) c++;
		if (h[c] >= e) break;
		h[i] = h[c];
		i = c;
	}
	h[i] = e;
}

static void push(uint64_t *h, size_t *n, uint64_t e)
{
	size_t i = (*n)++;
	while (i) {
		size_t up = (i - 1) / 2;
		if (h[up] <= e) break;
		h[i] = h[up];
		i = up;
	}
	h[i] = e;
}

int bpe_encode(const bpe_encoder *e, bpe_workspace *w, const uint8_t *in, size_t n,
               uint32_t *out, size_t *n_out)
{
	*n_out = 0;
	if (!n) return BPE_OK;
	if (n >= NONE) return BPE_ERANGE;
	if (e->v->n_merges == 0 || n == 1) {
		for (size_t i = 0; i < n; i++) out[i] = in[i];
		*n_out = n;
		return BPE_OK;
	}
	if (ws_reserve(w, n)) return BPE_ENOMEM;
	uint32_t *tok = w->tok, *nxt = w->nxt, *prv = w->prv, *rk = w->rk;
	uint64_t *h = w->heap;
	size_t nh = 0;
	for (size_t i = 0; i < n; i++) {
		tok[i] = in[i];
		nxt[i] = (uint32_t)(i + 1);
		prv[i] = (uint32_t)i - 1;
	}
	for (size_t i = 0; i + 1 < n; i++) {
		uint32_t r = e->byte_rank[in[i] << 8 | in[i + 1]];
		rk[i] = r;
		if (r != NONE) h[nh++] = (uint64_t)r << 32 | i;
	}
	rk[n - 1] = NONE;
	for (size_t i = nh / 2; i-- > 0;) sift_down(h, nh, i);
	while (nh) {
		uint64_t top = h[0];
		h[0] = h[--nh];
		if (nh) sift_down(h, nh, 0);
		uint32_t r = (uint32_t)(top >> 32), p = (uint32_t)top;
		if (rk[p] != r) continue;   /* this pair was changed by a neighbour's merge */
		uint32_t q = nxt[p], nq = nxt[q], x = 256 + r;
		tok[p] = x;
		rk[q] = NONE;
		nxt[p] = nq;
		if (nq < n) {
			prv[nq] = p;
			uint32_t r2 = rank_of(e, x, tok[nq]);
			rk[p] = r2;
			if (r2 != NONE) push(h, &nh, (uint64_t)r2 << 32 | p);
		} else {
			rk[p] = NONE;
		}
		if (p > 0) {
			uint32_t l = prv[p], r3 = rank_of(e, tok[l], x);
			rk[l] = r3;
			if (r3 != NONE) push(h, &nh, (uint64_t)r3 << 32 | l);
		}
	}
	size_t m = 0;
	for (uint32_t p = 0; p < n; p = nxt[p]) out[m++] = tok[p];
	*n_out = m;
	return BPE_OK;
}

int bpe_decode(const bpe_vocab *v, const uint32_t *ids, size_t n, uint8_t *out, size_t *n_out, size_t *bad)
{
	uint32_t V = 256 + v->n_merges;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = ids[i];
		if (id >= V) {
			if (bad) *bad = i;
			*n_out = m;
			return BPE_ERANGE;
		}
		if (out) memcpy(out + m, v->bytes + v->off[id], v->len[id]);
		m += v->len[id];
	}
	*n_out = m;
	return BPE_OK;
}
