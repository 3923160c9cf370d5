/*
 * trn_cuda.cu - the CUDA backend (issue 8): the trn_backend_ops table that
 * trn_run.c drives, on one GPU. Weights, gradients, optimizer state and
 * activations live on the device; the host model is the initial copy and
 * gets the weights and optimizer state back at every checkpoint
 * (sync_to_host). The chain below is trn_model.c's, layer for layer, with
 * matmuls on cuBLAS and the other layers in trn_cuda_kernels.cu.
 *
 * Status: fp32, written to be checked against the CPU reference
 * (tests/unit/train_cuda_test.c runs that check where a GPU is present). Mixed
 * precision, a tiled attention for long context, multi-GPU and the speed
 * work of issue 8 come after that check has passed on a GPU.
 */
#include "train_internal.h"
#include "trn_cuda.h"

#include <cublas_v2.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) \
	return trn_seterr(err, TRN_EIO, "CUDA: %s (%s:%d)", cudaGetErrorString(e_), __FILE__, __LINE__); } while (0)
#define CB(x) do { cublasStatus_t s_ = (x); if (s_ != CUBLAS_STATUS_SUCCESS) \
	return trn_seterr(err, TRN_EIO, "cuBLAS: status %d (%s:%d)", (int)s_, __FILE__, __LINE__); } while (0)

#define MAX_PARTS 1024   /* blocks of a sum of squares */

typedef struct cu_state {
	cublasHandle_t blas;
	cudaStream_t st;
	size_t np;
	float *p, *g;                      /* parameters, gradients */
	float *wte, *wout, *lnfw, *lnfb, *gwte, *gwout, *glnfw, *glnfb;
	trn_blk *P, *G;
	float *om, *ov, *obuf;             /* optimizer state */
	int opt_loaded;                    /* device optimizer state is current */
	int zero_grads;                    /* clear gradients at the next backward */

	size_t cap;                        /* rows the activations are sized for */
	float *act;                        /* the activations, then loss (N floats) */
	trn_acts a;                        /* laid out as trn_model.c lays out its own */
	float *loss;                       /* per-row weighted loss */
	uint32_t *tok, *tgt;
	float *w;
	int32_t *pos, *seg;
	float *hloss;                      /* host copy of the per-row losses */

	double *parts;                     /* partial sums of squares, MAX_PARTS */
	float *ns;                         /* Muon scratch: X, A, AA, T, u */
	size_t ns_cap;

	trn_batch last;
	double wsum;
	int have_fwd;
} cu_state;

static void state_free(void *v)
{
	cu_state *s = (cu_state *)v;
	if (!s)
		return;
	cudaFree(s->p);
	cudaFree(s->g);
	cudaFree(s->om);
	cudaFree(s->ov);
	cudaFree(s->obuf);
	cudaFree(s->act);
	cudaFree(s->tok);
	cudaFree(s->parts);
	cudaFree(s->ns);
	free(s->hloss);
	free(s->P);
	free(s->G);
	free(s->a.A);
	free(s->a.resid);
	if (s->blas)
		cublasDestroy(s->blas);
	if (s->st)
		cudaStreamDestroy(s->st);
	free(s);
}

static int state_init(cu_state *s, trn_model *m, const trn_model_config *c, trn_error *err)
{
	s->P = (trn_blk *)calloc((size_t)c->n_layer, sizeof *s->P);
	s->G = (trn_blk *)calloc((size_t)c->n_layer, sizeof *s->G);
	s->a.A = (trn_blk_act *)calloc((size_t)c->n_layer, sizeof *s->a.A);
	s->a.resid = (float **)calloc((size_t)c->n_layer + 1, sizeof *s->a.resid);
	if (!s->P || !s->G || !s->a.A || !s->a.resid)
		return trn_seterr(err, TRN_ENOMEM, "out of memory");
	CK(cudaStreamCreate(&s->st));
	CB(cublasCreate(&s->blas));
	CB(cublasSetStream(s->blas, s->st));
	/* fp32 means fp32: no TF32 behind the reference check's back */
	CB(cublasSetMathMode(s->blas, CUBLAS_DEFAULT_MATH));
	s->np = trn_model_nparams(m);
	size_t bytes = s->np * sizeof(float);
	CK(cudaMalloc(&s->p, bytes));
	CK(cudaMalloc(&s->g, bytes));
	CK(cudaMemcpy(s->p, trn_model_params(m), bytes, cudaMemcpyHostToDevice));
	CK(cudaMemset(s->g, 0, bytes));
	trn_model_point(m, s->p, &s->wte, &s->wout, s->P, &s->lnfw, &s->lnfb);
	trn_model_point(m, s->g, &s->gwte, &s->gwout, s->G, &s->glnfw, &s->glnfb);
	CK(cudaMalloc(&s->parts, MAX_PARTS * sizeof(double)));
	return TRN_OK;
}

/* The model's device state, made (and the weights uploaded) on first use. */
static int state_of(trn_model *m, cu_state **out, trn_error *err)
{
	cu_state *s = (cu_state *)trn_model_backend(m);
	if (s) {
		*out = s;
		return TRN_OK;
	}
	/* "no CUDA device" only where there is no driver or no GPU (the test
	 * skips on it); a driver older than this build's runtime is an error */
	int ndev = 0, dv = 0;
	if (cudaDriverGetVersion(&dv) != cudaSuccess || dv == 0)
		return trn_seterr(err, TRN_EIO, "backend cuda: no CUDA device (no CUDA driver)");
	if (dv < CUDART_VERSION)
		return trn_seterr(err, TRN_EIO, "backend cuda: the CUDA driver (%d) is older than the runtime this build uses (%d)",
		                  dv, CUDART_VERSION);
	cudaError_t e = cudaGetDeviceCount(&ndev);
	if (e != cudaSuccess || ndev == 0)
		return trn_seterr(err, TRN_EIO, "backend cuda: no CUDA device (%s)",
		                  e != cudaSuccess ? cudaGetErrorString(e) : "none found");
	const trn_model_config *c = trn_model_config_of(m);
	s = (cu_state *)calloc(1, sizeof *s);
	if (!s)
		return trn_seterr(err, TRN_ENOMEM, "out of memory");
	int rc = state_init(s, m, c, err);
	if (rc) {
		state_free(s);
		return rc;
	}
	s->zero_grads = 1;
	trn_model_set_backend(m, s, state_free);   /* freed with the model */
	*out = s;
	return TRN_OK;
}

/* Activations for N rows (laid out by trn_acts_point), the per-row losses
 * after them, and the batch arrays. */
static int ensure_acts(cu_state *s, const trn_model_config *c, size_t N, trn_error *err)
{
	if (N <= s->cap)
		return TRN_OK;
	size_t total = (size_t)trn_act_floats_per_row(c) + 1;   /* + loss */
	cudaFree(s->act);
	cudaFree(s->tok);
	s->act = NULL;
	s->tok = NULL;
	s->cap = 0;
	free(s->hloss);
	s->hloss = (float *)malloc(N * sizeof(float));
	if (!s->hloss)
		return trn_seterr(err, TRN_ENOMEM, "out of memory");
	cudaError_t e = cudaMalloc(&s->act, total * N * sizeof(float));
	if (e != cudaSuccess) {
		s->act = NULL;
		cudaGetLastError();   /* handled here: not to be reported by a later check */
		return trn_seterr(err, TRN_ENOMEM, "out of GPU memory for activations (%zu MiB for %zu rows): %s",
		                  (total * N * sizeof(float)) >> 20, N, cudaGetErrorString(e));
	}
	/* tok, tgt, w, pos, seg: five 4-byte arrays in one allocation */
	CK(cudaMalloc(&s->tok, 5 * N * 4));
	s->tgt = s->tok + N;
	s->w = (float *)(s->tok + 2 * N);
	s->pos = (int32_t *)(s->tok + 3 * N);
	s->seg = (int32_t *)(s->tok + 4 * N);
	trn_acts_point(c, N, s->act, &s->a);
	s->loss = s->act + (total - 1) * N;
	s->cap = N;
	return TRN_OK;
}

/* ---- matmuls on cuBLAS (row-major tensors seen as column-major transposes) */

static const float one = 1.0f, zero = 0.0f;

/* out (N, OC) = inp (N, C) . W^T, W (OC, C) */
static cublasStatus_t mm_forward(cu_state *s, float *out, const float *inp, const float *W, int N, int C, int OC)
{
	return cublasSgemm(s->blas, CUBLAS_OP_T, CUBLAS_OP_N, OC, N, C, &one, W, C, inp, C, &zero, out, OC);
}

/* dinp = dout . W (overwritten, skipped when NULL); dW += dout^T . inp */
static cublasStatus_t mm_backward(cu_state *s, float *dinp, float *dW, const float *dout, const float *inp,
                                  const float *W, int N, int C, int OC)
{
	cublasStatus_t r = CUBLAS_STATUS_SUCCESS;
	if (dinp)
		r = cublasSgemm(s->blas, CUBLAS_OP_N, CUBLAS_OP_N, C, N, OC, &one, W, C, dout, OC, &zero, dinp, C);
	if (r != CUBLAS_STATUS_SUCCESS)
		return r;
	return cublasSgemm(s->blas, CUBLAS_OP_N, CUBLAS_OP_T, C, OC, N, &one, inp, C, dout, OC, &one, dW, C);
}

/* ---- forward and backward --------------------------------------------------- */

static int cu_forward(trn_model *m, const trn_batch *b, float *loss, trn_error *err)
{
	const trn_model_config *c = trn_model_config_of(m);
	int rc = trn_batch_check(c, b, err);
	cu_state *s = NULL;
	if (rc || (rc = state_of(m, &s, err)))
		return rc;
	s->have_fwd = 0;
	int B = b->B, T = b->T, C = c->width, F = c->mlp * c->width, V = c->vocab, NH = c->n_head;
	int N = B * T;
	if ((rc = ensure_acts(s, c, (size_t)N, err)))
		return rc;
	cudaStream_t st = s->st;
	CK(cudaMemcpyAsync(s->tok, b->tok, (size_t)N * 4, cudaMemcpyHostToDevice, st));
	CK(cudaMemcpyAsync(s->tgt, b->tgt, (size_t)N * 4, cudaMemcpyHostToDevice, st));
	CK(cudaMemcpyAsync(s->w, b->w, (size_t)N * 4, cudaMemcpyHostToDevice, st));
	CK(cudaMemcpyAsync(s->pos, b->pos, (size_t)N * 4, cudaMemcpyHostToDevice, st));
	CK(cudaMemcpyAsync(s->seg, b->seg, (size_t)N * 4, cudaMemcpyHostToDevice, st));

	cu_encoder_forward(s->a.resid[0], s->tok, s->pos, s->wte, N, C, c->pos == TRN_POS_SIN2D ? c->grid_width : 0,
	                   c->grid_prefix, st);
	for (int l = 0; l < c->n_layer; l++) {
		trn_blk *P = &s->P[l];
		trn_blk_act *a = &s->a.A[l];
		float *x = s->a.resid[l], *y = s->a.resid[l + 1];
		cu_layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, x, P->ln1w, P->ln1b, N, C, st);
		CB(mm_forward(s, a->qkv, a->ln1, P->wqkv, N, C, 3 * C));
		if (c->pos == TRN_POS_ROPE)
			cu_rope(a->qkv, s->pos, N, C, NH, c->rope_theta, 0, st);
		cu_attention_forward(a->att, a->lse, a->qkv, s->seg, B, T, C, NH, st);
		CB(mm_forward(s, a->mid, a->att, P->wo, N, C, C));
		cu_add(a->mid, x, (size_t)N * C, st);
		cu_layernorm_forward(a->ln2, a->ln2_mean, a->ln2_rstd, a->mid, P->ln2w, P->ln2b, N, C, st);
		CB(mm_forward(s, a->fc, a->ln2, P->wfc, N, C, F));
		cu_gelu_forward(a->gl, a->fc, (size_t)N * F, st);
		CB(mm_forward(s, y, a->gl, P->wproj, N, F, C));
		cu_add(y, a->mid, (size_t)N * C, st);
	}
	cu_layernorm_forward(s->a.lnf, s->a.lnf_mean, s->a.lnf_rstd, s->a.resid[c->n_layer], s->lnfw, s->lnfb, N, C, st);
	CB(mm_forward(s, s->a.probs, s->a.lnf, s->wout, N, C, V));
	cu_softmax_ce_forward(s->a.probs, s->loss, s->tgt, s->w, N, V, st);
	CK(cudaGetLastError());
	CK(cudaMemcpyAsync(s->hloss, s->loss, (size_t)N * sizeof(float), cudaMemcpyDeviceToHost, st));
	CK(cudaStreamSynchronize(st));
	/* the loss is summed on the host in row order, as the CPU does */
	double ls = 0, ws = 0;
	for (int n = 0; n < N; n++) {
		if (b->w[n] == 0.0f)
			continue;
		ls += s->hloss[n];
		ws += b->w[n];
	}
	*loss = ws > 0 ? (float)(ls / ws) : 0.0f;
	s->last = *b;
	s->wsum = ws;
	s->have_fwd = 1;
	return TRN_OK;
}

static int cu_backward(trn_model *m, float scale, trn_error *err)
{
	cu_state *s = (cu_state *)trn_model_backend(m);
	if (!s || !s->have_fwd)
		return trn_seterr(err, TRN_EINVAL, "backward without a forward");
	s->have_fwd = 0;
	const trn_model_config *c = trn_model_config_of(m);
	const trn_batch *b = &s->last;
	int B = b->B, T = b->T, C = c->width, F = c->mlp * c->width, V = c->vocab, NH = c->n_head;
	int N = B * T;
	cudaStream_t st = s->st;
	/* the run loop clears the host gradients before each step's micro-batches */
	if (s->zero_grads) {
		CK(cudaMemsetAsync(s->g, 0, s->np * sizeof(float), st));
		s->zero_grads = 0;
	}
	if (s->wsum <= 0)
		return TRN_OK;

	cu_softmax_ce_backward(s->a.probs, s->tgt, s->w, N, V, (float)(scale / s->wsum), st);
	CB(mm_backward(s, s->a.dln, s->gwout, s->a.probs, s->a.lnf, s->wout, N, C, V));
	CK(cudaMemsetAsync(s->a.dres, 0, (size_t)N * C * sizeof(float), st));
	cu_layernorm_backward(s->a.dres, s->glnfw, s->glnfb, s->a.dln, s->a.resid[c->n_layer], s->lnfw, s->a.lnf_mean,
	                      s->a.lnf_rstd, N, C, st);
	for (int l = c->n_layer - 1; l >= 0; l--) {
		trn_blk *P = &s->P[l], *G = &s->G[l];
		trn_blk_act *a = &s->a.A[l];
		CB(mm_backward(s, s->a.dgl, G->wproj, s->a.dres, a->gl, P->wproj, N, F, C));
		cu_gelu_backward(s->a.dfc, a->fc, s->a.dgl, (size_t)N * F, st);
		CB(mm_backward(s, s->a.dln, G->wfc, s->a.dfc, a->ln2, P->wfc, N, C, F));
		cu_layernorm_backward(s->a.dres, G->ln2w, G->ln2b, s->a.dln, a->mid, P->ln2w, a->ln2_mean, a->ln2_rstd, N, C,
		                      st);
		CB(mm_backward(s, s->a.datt, G->wo, s->a.dres, a->att, P->wo, N, C, C));
		cu_attention_backward(s->a.dqkv, s->a.datt, a->qkv, a->att, a->lse, s->seg, B, T, C, NH, st);
		if (c->pos == TRN_POS_ROPE)
			cu_rope(s->a.dqkv, s->pos, N, C, NH, c->rope_theta, 1, st);
		CB(mm_backward(s, s->a.dln, G->wqkv, s->a.dqkv, a->ln1, P->wqkv, N, C, 3 * C));
		cu_layernorm_backward(s->a.dres, G->ln1w, G->ln1b, s->a.dln, s->a.resid[l], P->ln1w, a->ln1_mean, a->ln1_rstd,
		                      N, C, st);
	}
	cu_encoder_backward(s->gwte, s->a.dres, s->tok, N, C, st);
	CK(cudaGetLastError());
	return TRN_OK;
}

/* ---- optimizer ------------------------------------------------------------------ */

static int sumsq(cu_state *s, const float *x, size_t n, double *out, trn_error *err)
{
	int nb = cu_sumsq(s->parts, x, n, MAX_PARTS, s->st);
	double h[MAX_PARTS];
	CK(cudaMemcpyAsync(h, s->parts, (size_t)nb * sizeof(double), cudaMemcpyDeviceToHost, s->st));
	CK(cudaStreamSynchronize(s->st));
	double t = 0;
	for (int i = 0; i < nb; i++)
		t += h[i];
	*out = t;
	return TRN_OK;
}

/* Muon's quintic Newton-Schulz on the device (trn_newton_schulz's steps):
 * u (rows, cols) in place; X, A, AA, T from the scratch. */
static int newton_schulz(cu_state *s, float *u, int rows, int cols, int steps, trn_error *err)
{
	const float a = 3.4445f, bq = -4.7750f, cq = 2.0315f;
	int tr = rows > cols, r = tr ? cols : rows, n = tr ? rows : cols;
	float *X = s->ns, *A = X + (size_t)r * n, *AA = A + (size_t)r * r, *T = AA + (size_t)r * r;
	/* X (r, n) row-major is column-major (n, r) with leading dimension n */
	if (tr)
		CB(cublasSgeam(s->blas, CUBLAS_OP_T, CUBLAS_OP_N, rows, cols, &one, u, cols, &zero, X, rows, X, rows));
	else
		CK(cudaMemcpyAsync(X, u, (size_t)rows * cols * sizeof(float), cudaMemcpyDeviceToDevice, s->st));
	int nb = cu_sumsq(s->parts, X, (size_t)r * n, MAX_PARTS, s->st);
	cu_scale_by(X, s->parts, nb, (size_t)r * n, s->st);
	for (int it = 0; it < steps; it++) {
		CB(cublasSgemm(s->blas, CUBLAS_OP_T, CUBLAS_OP_N, r, r, n, &one, X, n, X, n, &zero, A, r));
		CB(cublasSgemm(s->blas, CUBLAS_OP_N, CUBLAS_OP_N, r, r, r, &one, A, r, A, r, &zero, AA, r));
		CB(cublasSgeam(s->blas, CUBLAS_OP_N, CUBLAS_OP_N, r, r, &bq, A, r, &cq, AA, r, AA, r));
		CB(cublasSgemm(s->blas, CUBLAS_OP_N, CUBLAS_OP_N, n, r, r, &one, X, n, AA, r, &zero, T, n));
		CB(cublasSgeam(s->blas, CUBLAS_OP_N, CUBLAS_OP_N, n, r, &a, X, n, &one, T, n, X, n));
	}
	if (tr)
		CB(cublasSgeam(s->blas, CUBLAS_OP_T, CUBLAS_OP_N, cols, rows, &one, X, rows, &zero, u, cols, u, cols));
	else
		CK(cudaMemcpyAsync(u, X, (size_t)rows * cols * sizeof(float), cudaMemcpyDeviceToDevice, s->st));
	return TRN_OK;
}

static int cu_step(trn_optim *o, trn_model *m, const trn_stage *sg, float lr_mult, double *norm_out, trn_error *err)
{
	cu_state *s = (cu_state *)trn_model_backend(m);
	if (!s)
		return trn_seterr(err, TRN_EINVAL, "optimizer step before any forward");
	if (o->n != s->np)
		return trn_seterr(err, TRN_EINVAL, "optimizer state does not match the model");
	int rc;
	size_t bytes = s->np * sizeof(float);
	if (!s->om || !s->ov || !s->obuf) {
		cudaFree(s->om);
		cudaFree(s->ov);
		cudaFree(s->obuf);
		s->om = s->ov = s->obuf = NULL;
		s->opt_loaded = 0;
		float *a = NULL, *b = NULL, *c = NULL;
		if (cudaMalloc(&a, bytes) || cudaMalloc(&b, bytes) || cudaMalloc(&c, bytes)) {
			cudaFree(a);
			cudaFree(b);
			cudaFree(c);
			cudaGetLastError();   /* handled here: not to be reported by a later check */
			return trn_seterr(err, TRN_ENOMEM, "out of GPU memory for the optimizer state (%zu MiB)",
			                  3 * bytes >> 20);
		}
		s->om = a, s->ov = b, s->obuf = c;
	}
	/* t == 0: a stage starts (the host state was just reset); otherwise the
	 * host state is newer only before the first step (a resumed run). */
	if (!s->opt_loaded || o->t == 0) {
		CK(cudaMemcpy(s->om, o->m, bytes, cudaMemcpyHostToDevice));
		CK(cudaMemcpy(s->ov, o->v, bytes, cudaMemcpyHostToDevice));
		CK(cudaMemcpy(s->obuf, o->buf, bytes, cudaMemcpyHostToDevice));
		s->opt_loaded = 1;
	}
	double nrm2;
	if ((rc = sumsq(s, s->g, s->np, &nrm2, err)))
		return rc;
	double norm = sqrt(nrm2);
	if (norm_out)
		*norm_out = norm;
	if (!isfinite(norm))
		return trn_seterr(err, TRN_ERANGE, "gradient norm is not finite (the loss diverged; lower lr)");
	float gs = 1.0f;
	if (sg->grad_clip > 0 && sg->grad_clip / (norm + 1e-6) < 1.0)
		gs = (float)(sg->grad_clip / (norm + 1e-6));
	o->t++;
	float lr = sg->lr * lr_mult, mlr = sg->muon_lr * lr_mult;
	double bc1 = 1.0 - pow(sg->beta1, (double)o->t), bc2 = 1.0 - pow(sg->beta2, (double)o->t);
	int nt = trn_model_ntensors(m);
	for (int k = 0; k < nt; k++) {
		const trn_tensor *t = trn_model_tensor(m, k);
		size_t off = t->offset, n = (size_t)t->rows * t->cols;
		float wd = t->decay ? sg->weight_decay : 0.0f;
		if (sg->opt != TRN_OPT_MUON || t->kind != TRN_T_MATRIX) {
			cu_adamw(s->p + off, s->g + off, s->om + off, s->ov + off, n, gs, lr, wd, sg->beta1, sg->beta2, sg->eps,
			         bc1, bc2, s->st);
			continue;
		}
		size_t r = t->rows < t->cols ? t->rows : t->cols, need = 2 * r * r + 3 * n;
		if (need > s->ns_cap) {
			cudaFree(s->ns);
			s->ns = NULL;
			s->ns_cap = 0;
			CK(cudaMalloc(&s->ns, need * sizeof(float)));
			/* zeroed: the in-place transpose reads its beta = 0 operand */
			CK(cudaMemsetAsync(s->ns, 0, need * sizeof(float), s->st));
			s->ns_cap = need;
		}
		float *u = s->ns + 2 * r * r + 2 * n;
		cu_muon_momentum(u, s->obuf + off, s->g + off, n, gs, sg->muon_momentum, s->st);
		if ((rc = newton_schulz(s, u, t->rows, t->cols, sg->ns_steps, err)))
			return rc;
		float scale = sqrtf(t->rows > t->cols ? (float)t->rows / t->cols : 1.0f);
		cu_muon_apply(s->p + off, u, n, mlr, wd, scale, s->st);
	}
	CK(cudaGetLastError());
	CK(cudaStreamSynchronize(s->st));
	s->zero_grads = 1;
	return TRN_OK;
}

static int cu_sync_to_host(trn_model *m, trn_optim *o, trn_error *err)
{
	cu_state *s = (cu_state *)trn_model_backend(m);
	if (!s)
		return TRN_OK;   /* nothing ran on the device: the host copy is current */
	size_t bytes = s->np * sizeof(float);
	CK(cudaStreamSynchronize(s->st));
	CK(cudaMemcpy(trn_model_params(m), s->p, bytes, cudaMemcpyDeviceToHost));
	if (o && s->opt_loaded && o->n == s->np) {
		CK(cudaMemcpy(o->m, s->om, bytes, cudaMemcpyDeviceToHost));
		CK(cudaMemcpy(o->v, s->ov, bytes, cudaMemcpyDeviceToHost));
		CK(cudaMemcpy(o->buf, s->obuf, bytes, cudaMemcpyDeviceToHost));
	}
	return TRN_OK;
}

/* The plugin's entry points: looked up by name (trn_backend.c). */
extern "C" int trn_cuda_plugin_grads_to_host(trn_model *m, trn_error *err)
{
	cu_state *s = (cu_state *)trn_model_backend(m);
	if (!s)
		return trn_seterr(err, TRN_EINVAL, "no device state");
	CK(cudaStreamSynchronize(s->st));
	CK(cudaMemcpy(trn_model_grads(m), s->g, s->np * sizeof(float), cudaMemcpyDeviceToHost));
	return TRN_OK;
}

extern "C" const trn_backend_ops trn_cuda_ops = {
	"cuda", cu_forward, cu_backward, cu_step, cu_sync_to_host
};
