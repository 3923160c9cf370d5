/*
 * trn_sample.c - generation one token at a time with a KV cache: each new
 * position computes its own q, k, v, appends k and v to the per-layer cache
 * and attends over it, so a sequence of n tokens costs O(n) layer passes.
 * Sampling filters (temperature, top-k, top-p, min_p as ByteCraft used) and
 * forced positions (grid completion, sprite breeding) live here too.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

struct trn_sampler {
	const trn_model *m;
	trn_model_config c;
	const float *wte, *wout, *lnfw, *lnfb;
	trn_blk_view *L;
	float *kcache, *vcache;   /* (n_layer, ctx, C) each */
	int len;                  /* positions in the cache */
	/* one position's activations */
	float *x, *ln, *qkv, *att, *fc, *logits, *scratch;
	float mean, rstd;
};

int trn_sampler_create(const trn_model *m, trn_sampler **out, trn_error *err)
{
	*out = NULL;
	trn_sampler *s = calloc(1, sizeof *s);
	if (!s)
		return trn_seterr(err, TRN_ENOMEM, "out of memory");
	s->m = m;
	s->c = *trn_model_config_of(m);
	size_t C = s->c.width, F = (size_t)s->c.mlp * C, V = s->c.vocab, cache = (size_t)s->c.n_layer * s->c.ctx * C;
	s->L = calloc((size_t)s->c.n_layer, sizeof *s->L);
	s->kcache = malloc(cache * sizeof(float));
	s->vcache = malloc(cache * sizeof(float));
	s->x = malloc(C * sizeof(float));
	s->ln = malloc(C * sizeof(float));
	s->qkv = malloc(3 * C * sizeof(float));
	s->att = malloc(C * sizeof(float));
	s->fc = malloc(2 * F * sizeof(float));
	s->logits = malloc(V * sizeof(float));
	s->scratch = malloc(2 * V * sizeof(float));
	if (!s->L || !s->kcache || !s->vcache || !s->x || !s->ln || !s->qkv || !s->att || !s->fc || !s->logits || !s->scratch) {
		int ctx = s->c.ctx;
		trn_sampler_free(s);
		return trn_seterr(err, TRN_ENOMEM, "out of memory for the KV cache (context %d)", ctx);
	}
	trn_model_view(m, &s->wte, &s->wout, &s->lnfw, &s->lnfb, s->L);
	*out = s;
	return TRN_OK;
}

void trn_sampler_free(trn_sampler *s)
{
	if (!s)
		return;
	free(s->L);
	free(s->kcache);
	free(s->vcache);
	free(s->x);
	free(s->ln);
	free(s->qkv);
	free(s->att);
	free(s->fc);
	free(s->logits);
	free(s->scratch);
	free(s);
}

/* out (OC) = W (OC, C) . x (C); the same summation order as the training
 * matmul, split over output rows (one position has no batch to split). */
static void gemv(float *out, const float *x, const float *W, int C, int OC)
{
#pragma omp parallel for if ((size_t)C * OC > (1u << 20))
	for (int k = 0; k < OC; k++)
		out[k] = trn_dot(x, W + (size_t)k * C, C);
}

/* Feed token tok at the next position; leaves the next token's logits. */
static void step(trn_sampler *s, uint32_t tok)
{
	const trn_model_config *c = &s->c;
	int C = c->width, F = c->mlp * c->width, NH = c->n_head, hd = C / NH, p = s->len;
	int32_t pos = p;
	trn_encoder_forward(s->x, &tok, &pos, s->wte, 1, C, c->pos == TRN_POS_SIN2D ? c->grid_width : 0, c->grid_prefix);
	float scale = 1.0f / sqrtf((float)hd);
	for (int l = 0; l < c->n_layer; l++) {
		const trn_blk_view *P = &s->L[l];
		float *kc = s->kcache + (size_t)l * c->ctx * C, *vc = s->vcache + (size_t)l * c->ctx * C;
		trn_layernorm_forward(s->ln, &s->mean, &s->rstd, s->x, P->ln1w, P->ln1b, 1, C);
		gemv(s->qkv, s->ln, P->wqkv, C, 3 * C);
		if (c->pos == TRN_POS_ROPE)
			trn_rope(s->qkv, &pos, 1, C, NH, c->rope_theta, 0);
		memcpy(kc + (size_t)p * C, s->qkv + C, (size_t)C * sizeof(float));
		memcpy(vc + (size_t)p * C, s->qkv + 2 * C, (size_t)C * sizeof(float));
		/* attention over the cache, online softmax as in training */
#pragma omp parallel for if ((size_t)p * C > (1u << 20))
		for (int h = 0; h < NH; h++) {
			const float *q = s->qkv + (size_t)h * hd;
			float acc[TRN_MAX_HEAD_DIM], m = -INFINITY, lsum = 0;
			memset(acc, 0, (size_t)hd * sizeof(float));
			for (int t = 0; t <= p; t++) {
				const float *k = kc + (size_t)t * C + (size_t)h * hd, *v = vc + (size_t)t * C + (size_t)h * hd;
				float x = trn_dot(q, k, hd) * scale;   /* as in training */
				if (x > m) {
					float r = expf(m - x);
					lsum *= r;
					for (int i = 0; i < hd; i++)
						acc[i] *= r;
					m = x;
				}
				float e = expf(x - m);
				lsum += e;
				for (int i = 0; i < hd; i++)
					acc[i] += e * v[i];
			}
			for (int i = 0; i < hd; i++)
				s->att[h * hd + i] = acc[i] / lsum;
		}
		gemv(s->ln, s->att, P->wo, C, C);
		for (int i = 0; i < C; i++)
			s->x[i] += s->ln[i];
		trn_layernorm_forward(s->ln, &s->mean, &s->rstd, s->x, P->ln2w, P->ln2b, 1, C);
		gemv(s->fc, s->ln, P->wfc, C, F);
		trn_gelu_forward(s->fc + F, s->fc, (size_t)F);
		gemv(s->ln, s->fc + F, P->wproj, F, C);
		for (int i = 0; i < C; i++)
			s->x[i] += s->ln[i];
	}
	trn_layernorm_forward(s->ln, &s->mean, &s->rstd, s->x, s->lnfw, s->lnfb, 1, C);
	gemv(s->logits, s->ln, s->wout, C, c->vocab);
	s->len++;
}

static int cmp_desc(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x < y) - (x > y);
}

uint32_t trn_pick(const float *logits, int V, const trn_sample_opts *o, uint64_t *rng, float *scratch)
{
	if (o->temperature <= 0) {   /* greedy: the first largest */
		int best = 0;
		for (int v = 1; v < V; v++)
			if (logits[v] > logits[best])
				best = v;
		return (uint32_t)best;
	}
	float *p = scratch, *sorted = scratch + V;
	float mx = -INFINITY;
	for (int v = 0; v < V; v++)
		if (logits[v] > mx)
			mx = logits[v];
	double sum = 0;
	for (int v = 0; v < V; v++) {
		p[v] = expf((logits[v] - mx) / o->temperature);
		sum += p[v];
	}
	float pmax = 0;
	for (int v = 0; v < V; v++) {
		p[v] = (float)(p[v] / sum);
		if (p[v] > pmax)
			pmax = p[v];
	}
	/* each filter gives a probability threshold; keep tokens at or above the highest */
	float thr = 0;
	if (o->min_p > 0)
		thr = o->min_p * pmax;   /* min_p: relative to the most likely token */
	if ((o->top_k > 0 && o->top_k < V) || (o->top_p > 0 && o->top_p < 1)) {
		memcpy(sorted, p, (size_t)V * sizeof(float));
		qsort(sorted, (size_t)V, sizeof(float), cmp_desc);
		if (o->top_k > 0 && o->top_k < V && sorted[o->top_k - 1] > thr)
			thr = sorted[o->top_k - 1];
		if (o->top_p > 0 && o->top_p < 1) {
			/* smallest set of top tokens whose mass reaches top_p */
			double cum = 0;
			for (int i = 0; i < V; i++) {
				cum += sorted[i];
				if (cum >= o->top_p) {
					if (sorted[i] > thr)
						thr = sorted[i];
					break;
				}
			}
		}
	}
	double kept = 0;
	for (int v = 0; v < V; v++)
		if (p[v] >= thr)
			kept += p[v];
	double u = trn_rand_unit(rng) * kept, acc = 0;
	int last = 0;
	for (int v = 0; v < V; v++) {
		if (p[v] < thr)
			continue;
		last = v;
		acc += p[v];
		if (u < acc)
			return (uint32_t)v;
	}
	return (uint32_t)last;   /* rounding left u at the very end */
}

static int check_ids(const trn_sampler *s, const uint32_t *ids, size_t n, int allow_free, trn_error *err)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] >= (uint32_t)s->c.vocab && !(allow_free && ids[i] == TRN_FREE))
			return trn_seterr(err, TRN_ERANGE, "id %u at position %zu is outside the vocabulary (%d)", ids[i], i,
			                  s->c.vocab);
	return TRN_OK;
}

int trn_sampler_logits(trn_sampler *s, const uint32_t *ids, size_t n, float *logits, trn_error *err)
{
	if (n == 0 || n > (size_t)s->c.ctx)
		return trn_seterr(err, TRN_EINVAL, "%zu ids do not fit context %d", n, s->c.ctx);
	int rc = check_ids(s, ids, n, 0, err);
	if (rc)
		return rc;
	s->len = 0;
	for (size_t i = 0; i < n; i++)
		step(s, ids[i]);
	memcpy(logits, s->logits, (size_t)s->c.vocab * sizeof(float));
	return TRN_OK;
}

int trn_generate(trn_sampler *s, const uint32_t *prefix, size_t n_prefix,
                 const uint32_t *forced, size_t max_new, uint32_t stop_id,
                 const trn_sample_opts *o, uint64_t *rng, uint32_t *out, size_t *n_out, trn_error *err)
{
	*n_out = 0;
	/* the last generated id is never fed back, so it may sit one past ctx */
	if (n_prefix == 0 || n_prefix > (size_t)s->c.ctx || max_new > (size_t)s->c.ctx + 1 - n_prefix)
		return trn_seterr(err, TRN_EINVAL, "prompt of %zu + %zu new ids does not fit context %d", n_prefix, max_new,
		                  s->c.ctx);
	int rc = check_ids(s, prefix, n_prefix, 0, err);
	if (!rc && forced)
		rc = check_ids(s, forced, max_new, 1, err);
	if (rc)
		return rc;
	s->len = 0;
	for (size_t i = 0; i < n_prefix; i++)
		step(s, prefix[i]);
	for (size_t i = 0; i < max_new; i++) {
		int sampled = !forced || forced[i] == TRN_FREE;
		uint32_t id = sampled ? trn_pick(s->logits, s->c.vocab, o, rng, s->scratch) : forced[i];
		out[i] = id;
		*n_out = i + 1;
		if (sampled && id == stop_id)
			break;
		if (i + 1 < max_new)
			step(s, id);
	}
	return TRN_OK;
}
