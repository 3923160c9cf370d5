/*
 * trn_optim.c - the optimizers: AdamW (decoupled weight decay, as
 * torch.optim.AdamW) and Muon (momentum, then Newton-Schulz orthogonalisation
 * of each 2-D hidden matrix's update; embeddings, head and 1-D parameters
 * stay on AdamW), with global-norm gradient clipping. Every loop is a fixed
 * order per element, so a step is reproducible for any thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

int trn_optim_alloc(trn_optim *o, size_t n)
{
	memset(o, 0, sizeof *o);
	o->n = n;
	o->m = calloc(n, sizeof(float));
	o->v = calloc(n, sizeof(float));
	o->buf = calloc(n, sizeof(float));
	if (!o->m || !o->v || !o->buf) {
		trn_optim_free(o);
		return TRN_ENOMEM;
	}
	return TRN_OK;
}

void trn_optim_free(trn_optim *o)
{
	free(o->m);
	free(o->v);
	free(o->buf);
	memset(o, 0, sizeof *o);
}

void trn_optim_reset(trn_optim *o)
{
	memset(o->m, 0, o->n * sizeof(float));
	memset(o->v, 0, o->n * sizeof(float));
	memset(o->buf, 0, o->n * sizeof(float));
	o->t = 0;
}

double trn_grad_norm(trn_model *m)
{
	const float *g = trn_model_grads(m);
	size_t n = trn_model_nparams(m);
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)g[i] * g[i];
	return sqrt(s);
}

/* C (r, r) = X X^T for X (r, c) */
static void gram(float *C, const float *X, int r, int c)
{
#pragma omp parallel for if ((size_t)r * r * c > (1u << 20))
	for (int i = 0; i < r; i++)
		for (int j = 0; j < r; j++) {
			float acc = 0;
			for (int k = 0; k < c; k++)
				acc += X[(size_t)i * c + k] * X[(size_t)j * c + k];
			C[(size_t)i * r + j] = acc;
		}
}

/* Out (r, n) = A (r, r) . X (r, n) */
static void mul_rr(float *out, const float *A, const float *X, int r, int n)
{
#pragma omp parallel for if ((size_t)r * r * n > (1u << 20))
	for (int i = 0; i < r; i++) {
		float *o = out + (size_t)i * n;
		memset(o, 0, (size_t)n * sizeof(float));
		for (int k = 0; k < r; k++) {
			float a = A[(size_t)i * r + k];
			const float *x = X + (size_t)k * n;
			for (int j = 0; j < n; j++)
				o[j] += a * x[j];
		}
	}
}

/* Muon's quintic Newton-Schulz: X <- a X + (b A + c A^2) X with A = X X^T,
 * on the wide orientation (r <= c), after scaling X to unit Frobenius norm.
 * It pushes every singular value toward ~1 without an SVD. */
void trn_newton_schulz(float *g, int rows, int cols, int steps, float *scratch)
{
	const float a = 3.4445f, b = -4.7750f, c = 2.0315f;
	int tr = rows > cols;
	int r = tr ? cols : rows, n = tr ? rows : cols;
	float *X = scratch, *A = X + (size_t)r * n, *AA = A + (size_t)r * r, *T = AA + (size_t)r * r;
	double nrm = 0;
	for (size_t i = 0; i < (size_t)rows * cols; i++)
		nrm += (double)g[i] * g[i];
	float inv = (float)(1.0 / (sqrt(nrm) + 1e-7));
	if (tr) {
		for (int i = 0; i < rows; i++)
			for (int j = 0; j < cols; j++)
				X[(size_t)j * n + i] = g[(size_t)i * cols + j] * inv;
	} else {
		for (size_t i = 0; i < (size_t)rows * cols; i++)
			X[i] = g[i] * inv;
	}
	for (int it = 0; it < steps; it++) {
		gram(A, X, r, n);
		mul_rr(AA, A, A, r, r);
		for (size_t i = 0; i < (size_t)r * r; i++)
			AA[i] = b * A[i] + c * AA[i];   /* B = b A + c A^2 */
		mul_rr(T, AA, X, r, n);
		for (size_t i = 0; i < (size_t)r * n; i++)
			X[i] = a * X[i] + T[i];
	}
	if (tr) {
		for (int i = 0; i < rows; i++)
			for (int j = 0; j < cols; j++)
				g[(size_t)i * cols + j] = X[(size_t)j * n + i];
	} else {
		memcpy(g, X, (size_t)rows * cols * sizeof(float));
	}
}

static void adamw(float *p, const float *g, float *m, float *v, size_t n, float gs, float lr, float wd,
                  float b1, float b2, float eps, int64_t t)
{
	double bc1 = 1.0 - pow(b1, (double)t), bc2 = 1.0 - pow(b2, (double)t);
#pragma omp parallel for if (n > (1u << 20))
	for (size_t i = 0; i < n; i++) {
		float gi = g[i] * gs;
		m[i] = b1 * m[i] + (1.0f - b1) * gi;
		v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
		float mh = (float)(m[i] / bc1), vh = (float)(v[i] / bc2);
		p[i] -= lr * wd * p[i];
		p[i] -= lr * mh / (sqrtf(vh) + eps);
	}
}

int trn_optim_step(trn_optim *o, trn_model *m, const trn_stage *s, float lr_mult, double *norm_out, trn_error *err)
{
	if (o->n != trn_model_nparams(m))
		return trn_seterr(err, TRN_EINVAL, "optimizer state does not match the model");
	float *P = trn_model_params(m);
	const float *G = trn_model_grads(m);
	double norm = trn_grad_norm(m);
	if (norm_out)
		*norm_out = norm;
	if (!isfinite(norm))
		return trn_seterr(err, TRN_ERANGE, "gradient norm is not finite (the loss diverged; lower lr)");
	/* clip by scaling the gradient as it is read (torch's clip_grad_norm_
	 * formula, so the PyTorch reference matches) */
	float gs = 1.0f;
	if (s->grad_clip > 0 && s->grad_clip / (norm + 1e-6) < 1.0)
		gs = (float)(s->grad_clip / (norm + 1e-6));
	o->t++;
	float lr = s->lr * lr_mult, mlr = s->muon_lr * lr_mult;
	float *scratch = NULL, *u = NULL;
	int nt = trn_model_ntensors(m);
	for (int k = 0; k < nt; k++) {
		const trn_tensor *t = trn_model_tensor(m, k);
		size_t off = t->offset, n = (size_t)t->rows * t->cols;
		float wd = t->decay ? s->weight_decay : 0.0f;
		if (s->opt != TRN_OPT_MUON || t->kind != TRN_T_MATRIX) {
			adamw(P + off, G + off, o->m + off, o->v + off, n, gs, lr, wd, s->beta1, s->beta2, s->eps, o->t);
			continue;
		}
		/* Muon: buf = mu buf + (1 - mu) g; Nesterov u = (1 - mu) g + mu buf;
		 * u = NS(u); p -= lr wd p + lr sqrt(max(1, rows/cols)) u */
		int r = t->rows < t->cols ? t->rows : t->cols;
		size_t need = 2 * (size_t)r * r + 2 * n;
		free(scratch);
		free(u);
		scratch = malloc(need * sizeof(float));
		u = malloc(n * sizeof(float));
		if (!scratch || !u) {
			free(scratch);
			free(u);
			return trn_seterr(err, TRN_ENOMEM, "out of memory for Muon scratch");
		}
		float mu = s->muon_momentum, *buf = o->buf + off;
		for (size_t i = 0; i < n; i++) {
			float gi = G[off + i] * gs;
			buf[i] = mu * buf[i] + (1.0f - mu) * gi;
			u[i] = (1.0f - mu) * gi + mu * buf[i];
		}
		trn_newton_schulz(u, t->rows, t->cols, s->ns_steps, scratch);
		float scale = sqrtf(t->rows > t->cols ? (float)t->rows / t->cols : 1.0f);
		float *p = P + off;
		for (size_t i = 0; i < n; i++) {
			p[i] -= mlr * wd * p[i];
			p[i] -= mlr * scale * u[i];
		}
	}
	free(scratch);
	free(u);
	return TRN_OK;
}
