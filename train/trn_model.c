/*
 * trn_model.c - the decoder-only transformer: parameter layout, seeded
 * initialisation, and the forward and backward passes that chain the layers
 * of trn_layers.c. Read top to bottom it is the whole model; activations are
 * kept per layer for the backward, attention stores only a log-sum-exp per row.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

struct trn_model {
	trn_model_config c;
	size_t nparams;
	float *params, *grads;
	int ntensors;
	trn_tensor *tensors;
	float *wte, *wout, *lnfw, *lnfb;        /* wout == wte when tied */
	float *gwte, *gwout, *glnfw, *glnfb;
	trn_blk *P, *G;                         /* per layer: params, grads */

	/* activations, sized for cap rows */
	size_t cap;
	float *actmem;
	trn_acts act;
	trn_batch last;       /* the batch of the last forward (caller's arrays) */
	double wsum;
	int have_fwd;

	void *backend;                     /* a device backend's state, freed with the model */
	void (*backend_free)(void *);
};

int trn_seterr(trn_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

const char *trn_strerror(int code)
{
	switch (code) {
	case TRN_OK: return "success";
	case TRN_EIO: return "input/output error";
	case TRN_ENOMEM: return "out of memory";
	case TRN_EINVAL: return "invalid argument";
	case TRN_EFORMAT: return "malformed input";
	case TRN_ERANGE: return "value out of range";
	case TRN_EMISMATCH: return "does not match the configuration";
	case TRN_ENOTBUILT: return "not built in";
	}
	return "unknown error";
}

int trn_batch_alloc(trn_batch *b, int B, int T)
{
	size_t n = (size_t)B * T;
	memset(b, 0, sizeof *b);
	b->B = B;
	b->T = T;
	b->tok = calloc(n, sizeof *b->tok);
	b->tgt = calloc(n, sizeof *b->tgt);
	b->w = calloc(n, sizeof *b->w);
	b->pos = calloc(n, sizeof *b->pos);
	b->seg = calloc(n, sizeof *b->seg);
	if (!b->tok || !b->tgt || !b->w || !b->pos || !b->seg) {
		trn_batch_free(b);
		return TRN_ENOMEM;
	}
	return TRN_OK;
}

void trn_batch_free(trn_batch *b)
{
	free(b->tok);
	free(b->tgt);
	free(b->w);
	free(b->pos);
	free(b->seg);
	memset(b, 0, sizeof *b);
}

/* ---- parameter layout --------------------------------------------------- */

/* Add a tensor to the table; params == NULL only counts. */
static void add_tensor(trn_model *m, size_t *off, const char *name, int rows, int cols, int kind)
{
	if (m->tensors) {
		trn_tensor *t = &m->tensors[m->ntensors];
		snprintf(t->name, sizeof t->name, "%s", name);
		t->offset = *off;
		t->rows = rows;
		t->cols = cols;
		t->kind = kind;
		t->decay = rows > 1;
	}
	m->ntensors++;
	*off += (size_t)rows * cols;
}

/* Order: wte, [wout], per layer ln1 w/b, wqkv, wo, ln2 w/b, wfc, wproj; lnf w/b.
 * The PyTorch reference (tests/train_ref/make_ref.py) uses the same order. */
static size_t layout(trn_model *m)
{
	const trn_model_config *c = &m->c;
	int C = c->width, F = c->mlp * c->width, V = c->vocab;
	size_t off = 0;
	char nm[32];
	m->ntensors = 0;
	add_tensor(m, &off, "wte", V, C, TRN_T_EMBED);
	if (!c->tie)
		add_tensor(m, &off, "wout", V, C, TRN_T_HEAD);
	for (int l = 0; l < c->n_layer; l++) {
		snprintf(nm, sizeof nm, "h%d.ln1.w", l); add_tensor(m, &off, nm, 1, C, TRN_T_VECTOR);
		snprintf(nm, sizeof nm, "h%d.ln1.b", l); add_tensor(m, &off, nm, 1, C, TRN_T_VECTOR);
		snprintf(nm, sizeof nm, "h%d.wqkv", l); add_tensor(m, &off, nm, 3 * C, C, TRN_T_MATRIX);
		snprintf(nm, sizeof nm, "h%d.wo", l); add_tensor(m, &off, nm, C, C, TRN_T_MATRIX);
		snprintf(nm, sizeof nm, "h%d.ln2.w", l); add_tensor(m, &off, nm, 1, C, TRN_T_VECTOR);
		snprintf(nm, sizeof nm, "h%d.ln2.b", l); add_tensor(m, &off, nm, 1, C, TRN_T_VECTOR);
		snprintf(nm, sizeof nm, "h%d.wfc", l); add_tensor(m, &off, nm, F, C, TRN_T_MATRIX);
		snprintf(nm, sizeof nm, "h%d.wproj", l); add_tensor(m, &off, nm, C, F, TRN_T_MATRIX);
	}
	add_tensor(m, &off, "lnf.w", 1, C, TRN_T_VECTOR);
	add_tensor(m, &off, "lnf.b", 1, C, TRN_T_VECTOR);
	return off;
}

void trn_model_point(const trn_model *m, float *base, float **wte, float **wout, trn_blk *B, float **lnfw,
                     float **lnfb)
{
	int k = 0;
	*wte = base + m->tensors[k++].offset;
	*wout = m->c.tie ? *wte : base + m->tensors[k++].offset;
	for (int l = 0; l < m->c.n_layer; l++) {
		B[l].ln1w = base + m->tensors[k++].offset;
		B[l].ln1b = base + m->tensors[k++].offset;
		B[l].wqkv = base + m->tensors[k++].offset;
		B[l].wo = base + m->tensors[k++].offset;
		B[l].ln2w = base + m->tensors[k++].offset;
		B[l].ln2b = base + m->tensors[k++].offset;
		B[l].wfc = base + m->tensors[k++].offset;
		B[l].wproj = base + m->tensors[k++].offset;
	}
	*lnfw = base + m->tensors[k++].offset;
	*lnfb = base + m->tensors[k++].offset;
}

int trn_model_create(const trn_model_config *mc, trn_model **out, trn_error *err)
{
	*out = NULL;
	if (mc->vocab <= 0 || mc->n_layer <= 0 || mc->width <= 0 || mc->n_head <= 0 || mc->mlp <= 0 ||
	    mc->width % mc->n_head || mc->width / mc->n_head > TRN_MAX_HEAD_DIM || mc->width > TRN_MAX_WIDTH ||
	    (unsigned)mc->vocab > TRN_MAX_VOCAB || mc->n_layer > TRN_MAX_LAYERS)
		return trn_seterr(err, TRN_EINVAL, "model config is incomplete or out of range");
	trn_model *m = calloc(1, sizeof *m);
	if (!m)
		return trn_seterr(err, TRN_ENOMEM, "out of memory");
	m->c = *mc;
	layout(m);   /* count */
	m->tensors = calloc((size_t)m->ntensors, sizeof *m->tensors);
	m->P = calloc((size_t)mc->n_layer, sizeof *m->P);
	m->G = calloc((size_t)mc->n_layer, sizeof *m->G);
	m->act.A = calloc((size_t)mc->n_layer, sizeof *m->act.A);
	m->act.resid = calloc((size_t)mc->n_layer + 1, sizeof *m->act.resid);
	if (!m->tensors || !m->P || !m->G || !m->act.A || !m->act.resid)
		goto oom;
	m->nparams = layout(m);
	if (m->nparams > TRN_MAX_PARAMS) {
		size_t np = m->nparams;
		trn_model_free(m);
		return trn_seterr(err, TRN_ERANGE, "model has %zu parameters (cap %llu)", np,
		                  (unsigned long long)TRN_MAX_PARAMS);
	}
	m->params = calloc(m->nparams, sizeof(float));
	m->grads = calloc(m->nparams, sizeof(float));
	if (!m->params || !m->grads)
		goto oom;
	trn_model_point(m, m->params, &m->wte, &m->wout, m->P, &m->lnfw, &m->lnfb);
	trn_model_point(m, m->grads, &m->gwte, &m->gwout, m->G, &m->glnfw, &m->glnfb);
	*out = m;
	return TRN_OK;
oom:
	trn_model_free(m);
	return trn_seterr(err, TRN_ENOMEM, "out of memory for the model");
}

void trn_model_free(trn_model *m)
{
	if (!m)
		return;
	free(m->params);
	free(m->grads);
	free(m->tensors);
	free(m->P);
	free(m->G);
	free(m->act.A);
	free(m->act.resid);
	free(m->actmem);
	if (m->backend_free)
		m->backend_free(m->backend);
	free(m);
}

void *trn_model_backend(const trn_model *m) { return m->backend; }

void trn_model_set_backend(trn_model *m, void *state, void (*free_fn)(void *))
{
	m->backend = state;
	m->backend_free = free_fn;
}

void trn_model_init(trn_model *m, uint64_t seed)
{
	uint64_t rng = trn_mix64(seed ^ 0x6b696c6e696e6974ull);   /* "kilninit" */
	float resid_std = m->c.init_std / sqrtf(2.0f * m->c.n_layer);
	for (int i = 0; i < m->ntensors; i++) {
		const trn_tensor *t = &m->tensors[i];
		float *p = m->params + t->offset;
		size_t n = (size_t)t->rows * t->cols;
		if (t->kind == TRN_T_VECTOR) {
			/* layer-norm weights are 1, biases 0 */
			float v = strstr(t->name, ".w") ? 1.0f : 0.0f;
			for (size_t j = 0; j < n; j++)
				p[j] = v;
			continue;
		}
		float std = (strstr(t->name, ".wo") || strstr(t->name, ".wproj")) ? resid_std : m->c.init_std;
		for (size_t j = 0; j < n; j++)
			p[j] = std * trn_rand_normal(&rng);
	}
}

uint64_t trn_model_count_params(const trn_model_config *c)
{
	if (c->vocab <= 0 || c->width <= 0 || c->n_layer <= 0 || c->mlp <= 0 || c->width > TRN_MAX_WIDTH ||
	    c->n_layer > TRN_MAX_LAYERS || (unsigned)c->vocab > TRN_MAX_VOCAB || c->mlp > 64)
		return 0;
	uint64_t C = c->width, F = (uint64_t)c->mlp * C, V = c->vocab;
	uint64_t per_layer = 4 * C + 3 * C * C + C * C + 2 * F * C;   /* as layout() */
	return V * C * (c->tie ? 1 : 2) + c->n_layer * per_layer + 2 * C;
}

const trn_model_config *trn_model_config_of(const trn_model *m) { return &m->c; }
size_t trn_model_nparams(const trn_model *m) { return m->nparams; }
float *trn_model_params(trn_model *m) { return m->params; }
float *trn_model_grads(trn_model *m) { return m->grads; }
int trn_model_ntensors(const trn_model *m) { return m->ntensors; }
const trn_tensor *trn_model_tensor(const trn_model *m, int i) { return &m->tensors[i]; }
const float *trn_model_probs(const trn_model *m) { return m->act.probs; }
void trn_model_zero_grad(trn_model *m) { memset(m->grads, 0, m->nparams * sizeof(float)); }

/* ---- activations --------------------------------------------------------- */

/* Floats per row of the batch (the attention lse is NH per row). */
uint64_t trn_act_floats_per_row(const trn_model_config *c)
{
	uint64_t C = c->width, F = (uint64_t)c->mlp * c->width, L = c->n_layer;
	uint64_t per_layer = C /*ln1*/ + 2 + 3 * C + C + c->n_head + C /*mid*/ + C + 2 + F + F;
	uint64_t scratch = C /*dres*/ + C /*dln*/ + 3 * C + C + F + F;
	return (L + 1) * C + L * per_layer + C + 2 + (uint64_t)c->vocab + scratch;
}

void trn_acts_point(const trn_model_config *c, size_t N, float *base, trn_acts *a)
{
	size_t C = c->width, F = (size_t)c->mlp * c->width, V = c->vocab;
	float *p = base;
#define TAKE(n) (p += (n), p - (n))
	for (int l = 0; l <= c->n_layer; l++)
		a->resid[l] = TAKE(N * C);
	for (int l = 0; l < c->n_layer; l++) {
		trn_blk_act *b = &a->A[l];
		b->ln1 = TAKE(N * C); b->ln1_mean = TAKE(N); b->ln1_rstd = TAKE(N);
		b->qkv = TAKE(N * 3 * C); b->att = TAKE(N * C); b->lse = TAKE(N * c->n_head);
		b->mid = TAKE(N * C);
		b->ln2 = TAKE(N * C); b->ln2_mean = TAKE(N); b->ln2_rstd = TAKE(N);
		b->fc = TAKE(N * F); b->gl = TAKE(N * F);
	}
	a->lnf = TAKE(N * C); a->lnf_mean = TAKE(N); a->lnf_rstd = TAKE(N);
	a->probs = TAKE(N * V);
	a->dres = TAKE(N * C); a->dln = TAKE(N * C); a->dqkv = TAKE(N * 3 * C);
	a->datt = TAKE(N * C); a->dfc = TAKE(N * F); a->dgl = TAKE(N * F);
#undef TAKE
}

uint64_t trn_model_act_bytes(const trn_model_config *c, int B, int T)
{
	return trn_act_floats_per_row(c) * (uint64_t)B * (uint64_t)T * sizeof(float);
}

static int ensure_acts(trn_model *m, int B, int T, trn_error *err)
{
	size_t N = (size_t)B * T;
	if (N <= m->cap)
		return TRN_OK;
	const trn_model_config *c = &m->c;
	uint64_t total = trn_act_floats_per_row(c) * (uint64_t)N;
	if (total > (UINT64_MAX / 8) || total * sizeof(float) > (uint64_t)SIZE_MAX / 2)
		return trn_seterr(err, TRN_ERANGE, "activations for %d x %d do not fit in memory", B, T);
	float *mem = malloc((size_t)total * sizeof(float));
	if (!mem)
		return trn_seterr(err, TRN_ENOMEM, "out of memory for activations (%llu MiB for batch %d x %d)",
		                  (unsigned long long)(total * sizeof(float) >> 20), B, T);
	free(m->actmem);
	m->actmem = mem;
	m->cap = N;
	trn_acts_point(c, N, mem, &m->act);
	return TRN_OK;
}

/* ---- forward ------------------------------------------------------------ */

int trn_batch_check(const trn_model_config *c, const trn_batch *b, trn_error *err)
{
	int B = b->B, T = b->T, V = c->vocab, N = B * T;
	if (B <= 0 || T <= 0 || T > c->ctx)
		return trn_seterr(err, TRN_EINVAL, "batch %d x %d does not fit context %d", B, T, c->ctx);
	/* ids and segment starts come from data files: check before indexing */
	for (int n = 0; n < N; n++) {
		int t = n % T;
		if (b->tok[n] >= (uint32_t)V || b->tgt[n] >= (uint32_t)V)
			return trn_seterr(err, TRN_ERANGE, "token id %u at row %d position %d is outside the vocabulary (%d)",
			                  b->tok[n] >= (uint32_t)V ? b->tok[n] : b->tgt[n], n / T, t, V);
		if (b->seg[n] < 0 || b->seg[n] > t || b->pos[n] < 0 || b->pos[n] >= TRN_MAX_CTX)
			return trn_seterr(err, TRN_EINVAL, "bad segment/position at row %d position %d", n / T, t);
	}
	return TRN_OK;
}

int trn_model_forward(trn_model *m, const trn_batch *b, float *loss, trn_error *err)
{
	const trn_model_config *c = &m->c;
	int B = b->B, T = b->T, C = c->width, F = c->mlp * c->width, V = c->vocab, NH = c->n_head;
	int N = B * T;
	m->have_fwd = 0;
	int rc = trn_batch_check(c, b, err);
	if (rc)
		return rc;
	rc = ensure_acts(m, B, T, err);
	if (rc)
		return rc;

	/* x0 (N, C) = wte[tok] (+ sin2d) */
	trn_encoder_forward(m->act.resid[0], b->tok, b->pos, m->wte, N, C,
	                    c->pos == TRN_POS_SIN2D ? c->grid_width : 0, c->grid_prefix);
	for (int l = 0; l < c->n_layer; l++) {
		trn_blk *P = &m->P[l];
		trn_blk_act *a = &m->act.A[l];
		float *x = m->act.resid[l], *y = m->act.resid[l + 1];
		/* attention half: mid = x + Wo . attn(rope(Wqkv . ln1(x))) */
		trn_layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, x, P->ln1w, P->ln1b, N, C);
		trn_matmul_forward(a->qkv, a->ln1, P->wqkv, N, C, 3 * C);
		if (c->pos == TRN_POS_ROPE)
			trn_rope(a->qkv, b->pos, N, C, NH, c->rope_theta, 0);
		trn_attention_forward(a->att, a->lse, a->qkv, b->seg, B, T, C, NH);
		trn_matmul_forward(a->mid, a->att, P->wo, N, C, C);
		for (size_t i = 0; i < (size_t)N * C; i++)
			a->mid[i] += x[i];
		/* MLP half: y = mid + Wproj . gelu(Wfc . ln2(mid)) */
		trn_layernorm_forward(a->ln2, a->ln2_mean, a->ln2_rstd, a->mid, P->ln2w, P->ln2b, N, C);
		trn_matmul_forward(a->fc, a->ln2, P->wfc, N, C, F);
		trn_gelu_forward(a->gl, a->fc, (size_t)N * F);
		trn_matmul_forward(y, a->gl, P->wproj, N, F, C);
		for (size_t i = 0; i < (size_t)N * C; i++)
			y[i] += a->mid[i];
	}
	/* head: probs (N, V) = softmax(lnf(x_L) . wout^T) */
	trn_layernorm_forward(m->act.lnf, m->act.lnf_mean, m->act.lnf_rstd, m->act.resid[c->n_layer], m->lnfw, m->lnfb, N, C);
	trn_matmul_forward(m->act.probs, m->act.lnf, m->wout, N, C, V);
	double ls, ws;
	trn_softmax_ce_forward(m->act.probs, b->tgt, b->w, N, V, &ls, &ws);
	*loss = ws > 0 ? (float)(ls / ws) : 0.0f;
	m->last = *b;
	m->wsum = ws;
	m->have_fwd = 1;
	return TRN_OK;
}

/* ---- backward ----------------------------------------------------------- */

int trn_model_backward(trn_model *m, float scale, trn_error *err)
{
	if (!m->have_fwd)
		return trn_seterr(err, TRN_EINVAL, "backward without a forward");
	m->have_fwd = 0;   /* the probabilities are consumed below */
	const trn_model_config *c = &m->c;
	const trn_batch *b = &m->last;
	int B = b->B, T = b->T, C = c->width, F = c->mlp * c->width, V = c->vocab, NH = c->n_head;
	int N = B * T;
	if (m->wsum <= 0)
		return TRN_OK;   /* nothing to learn from a fully masked batch */

	/* dlogits = (p - onehot) * w / sum(w) * scale, in place of probs */
	trn_softmax_ce_backward(m->act.probs, b->tgt, b->w, N, V, (float)(scale / m->wsum));
	trn_matmul_backward(m->act.dln, m->gwout, m->act.probs, m->act.lnf, m->wout, N, C, V);
	memset(m->act.dres, 0, (size_t)N * C * sizeof(float));
	trn_layernorm_backward(m->act.dres, m->glnfw, m->glnfb, m->act.dln, m->act.resid[c->n_layer], m->lnfw,
	                       m->act.lnf_mean, m->act.lnf_rstd, N, C);
	/* dres holds d(loss)/d(y) of the block being undone; the residual
	 * connections pass it through unchanged and the layer norms add to it. */
	for (int l = c->n_layer - 1; l >= 0; l--) {
		trn_blk *P = &m->P[l], *G = &m->G[l];
		trn_blk_act *a = &m->act.A[l];
		trn_matmul_backward(m->act.dgl, G->wproj, m->act.dres, a->gl, P->wproj, N, F, C);
		trn_gelu_backward(m->act.dfc, a->fc, m->act.dgl, (size_t)N * F);
		trn_matmul_backward(m->act.dln, G->wfc, m->act.dfc, a->ln2, P->wfc, N, C, F);
		trn_layernorm_backward(m->act.dres, G->ln2w, G->ln2b, m->act.dln, a->mid, P->ln2w,
		                       a->ln2_mean, a->ln2_rstd, N, C);
		trn_matmul_backward(m->act.datt, G->wo, m->act.dres, a->att, P->wo, N, C, C);
		trn_attention_backward(m->act.dqkv, m->act.datt, a->qkv, a->att, a->lse, b->seg, B, T, C, NH);
		if (c->pos == TRN_POS_ROPE)
			trn_rope(m->act.dqkv, b->pos, N, C, NH, c->rope_theta, 1);
		trn_matmul_backward(m->act.dln, G->wqkv, m->act.dqkv, a->ln1, P->wqkv, N, C, 3 * C);
		trn_layernorm_backward(m->act.dres, G->ln1w, G->ln1b, m->act.dln, m->act.resid[l], P->ln1w,
		                       a->ln1_mean, a->ln1_rstd, N, C);
	}
	trn_encoder_backward(m->gwte, m->act.dres, b->tok, N, C);
	return TRN_OK;
}

void trn_model_view(const trn_model *m, const float **wte, const float **wout, const float **lnfw,
                    const float **lnfb, trn_blk_view *blocks)
{
	*wte = m->wte;
	*wout = m->wout;
	*lnfw = m->lnfw;
	*lnfb = m->lnfb;
	for (int l = 0; l < m->c.n_layer; l++) {
		const trn_blk *P = &m->P[l];
		trn_blk_view v = { P->ln1w, P->ln1b, P->wqkv, P->wo, P->ln2w, P->ln2b, P->wfc, P->wproj };
		blocks[l] = v;
	}
}
