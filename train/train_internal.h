/*
 * train_internal.h - declarations shared by the trainer's files but not part
 * of its API: the per-layer kernels (exposed so the unit tests can check each
 * one against finite differences) and small helpers.
 */
#ifndef KILN_TRAIN_INTERNAL_H
#define KILN_TRAIN_INTERNAL_H

#include "train.h"

#ifdef __cplusplus
extern "C" {   /* the CUDA backend (C++) includes this too */
#endif

/* Fill err (may be NULL) and return code. */
int trn_seterr(trn_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Dot product with sixteen running sums in a fixed order: the compiler may
 * vectorise it (a single sum would forbid that under strict IEEE rules, and
 * several independent sums hide the add latency), and the result still never
 * depends on threads or run. */
static inline float trn_dot(const float *a, const float *b, int n)
{
	float acc[16] = { 0 };
	int i = 0;
	for (; i + 16 <= n; i += 16)
		for (int j = 0; j < 16; j++)
			acc[j] += a[i + j] * b[i + j];
	for (; i < n; i++)
		acc[0] += a[i] * b[i];
	for (int j = 0; j < 8; j++)
		acc[j] += acc[j + 8];
	return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

/* trn_dot with b read every stride floats: the same sums in the same order,
 * so both give identical bits. */
static inline float trn_dot_strided(const float *a, const float *b, size_t stride, int n)
{
	float acc[16] = { 0 };
	int i = 0;
	for (; i + 16 <= n; i += 16)
		for (int j = 0; j < 16; j++)
			acc[j] += a[i + j] * b[(size_t)(i + j) * stride];
	for (; i < n; i++)
		acc[0] += a[i] * b[(size_t)i * stride];
	for (int j = 0; j < 8; j++)
		acc[j] += acc[j + 8];
	return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

/* ---- layers (trn_layers.c). N = B*T rows; every "backward" ADDS into
 * weight gradients; the input gradient is overwritten (matmul, gelu,
 * attention, rope) or added to (layernorm, encoder) as each says. */

/* out (N, C) = wte[tok] (+ sin2d(pos) when grid_width > 0) */
void trn_encoder_forward(float *out, const uint32_t *tok, const int32_t *pos, const float *wte,
                         int N, int C, int grid_width, int grid_prefix);
/* dwte[tok] += dout */
void trn_encoder_backward(float *dwte, const float *dout, const uint32_t *tok, int N, int C);
/* The 2-D sinusoidal vector of one position (C values). */
void trn_sin2d(float *out, int pos, int C, int grid_width, int grid_prefix);
/* out = (inp - mean) * rstd * w + b per row; mean, rstd (N) kept. */
void trn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                           const float *w, const float *b, int N, int C);
/* dinp += ..., dw += ..., db += ... */
void trn_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                            const float *w, const float *mean, const float *rstd, int N, int C);
/* out (N, OC) = inp (N, C) . W^T, W (OC, C) as in torch.nn.Linear. */
void trn_matmul_forward(float *out, const float *inp, const float *W, int N, int C, int OC);
/* dinp = dout . W (overwritten; skipped when NULL), dW += dout^T . inp */
void trn_matmul_backward(float *dinp, float *dW, const float *dout, const float *inp, const float *W,
                         int N, int C, int OC);
/* Rotary embedding of q and k inside qkv (B, T, 3C) in place, half-split
 * pairs (i, i + hd/2), angle pos * theta^(-2i/hd). inverse = 1 rotates back
 * (that is the backward, rotations being orthogonal). */
void trn_rope(float *qkv, const int32_t *pos, int N, int C, int NH, float theta, int inverse);
/* out (B, T, C) = causal softmax(q k^T / sqrt(hd)) v per head over [seg[t], t];
 * lse (B, NH, T) keeps each row's log-sum-exp for the backward. */
void trn_attention_forward(float *out, float *lse, const float *qkv, const int32_t *seg,
                           int B, int T, int C, int NH);
/* dqkv (B, T, 3C) overwritten from dout, recomputing the probabilities. */
void trn_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *out,
                            const float *lse, const int32_t *seg, int B, int T, int C, int NH);
/* GELU, tanh approximation (torch approximate="tanh"). */
void trn_gelu_forward(float *out, const float *inp, size_t n);
void trn_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n);
/* probs (N, V) = softmax(logits) in place; returns sum(w * -log p[tgt]) in
 * *loss_sum and sum(w) in *wsum. */
void trn_softmax_ce_forward(float *probs, const uint32_t *tgt, const float *w, int N, int V,
                            double *loss_sum, double *wsum);
/* probs -> dlogits in place: (p - onehot(tgt)) * w * scale. */
void trn_softmax_ce_backward(float *probs, const uint32_t *tgt, const float *w, int N, int V, float scale);

/* ---- layouts (trn_model.c), shared by the CPU model and device backends:
 * a backend points the same views into its own memory (only addresses are
 * computed, so base may be device memory). */

/* Pointers into a flat parameter (or gradient) array for one block. */
typedef struct trn_blk {
	float *ln1w, *ln1b;   /* (C) */
	float *wqkv;          /* (3C, C) */
	float *wo;            /* (C, C) */
	float *ln2w, *ln2b;   /* (C) */
	float *wfc;           /* (F, C) */
	float *wproj;         /* (C, F) */
} trn_blk;

/* Point wte, wout (== wte when tied), every block and the final norm into
 * base, in the order of the parameter layout. B holds n_layer entries. */
void trn_model_point(const trn_model *m, float *base, float **wte, float **wout, trn_blk *B,
                     float **lnfw, float **lnfb);

/* Activations of one block for the batch in flight (N = B*T rows). */
typedef struct trn_blk_act {
	float *ln1, *ln1_mean, *ln1_rstd;   /* (N, C), (N), (N) */
	float *qkv;                         /* (N, 3C), after rope */
	float *att;                         /* (N, C) attention output */
	float *lse;                         /* (B, NH, T) */
	float *mid;                         /* (N, C) residual after attention */
	float *ln2, *ln2_mean, *ln2_rstd;
	float *fc;                          /* (N, F) before GELU */
	float *gl;                          /* (N, F) after GELU */
} trn_blk_act;

/* Every activation of a forward and the backward's scratch, for N rows. */
typedef struct trn_acts {
	float **resid;        /* L+1 entries of (N, C): input of each block, then the output */
	trn_blk_act *A;       /* L entries */
	float *lnf, *lnf_mean, *lnf_rstd;
	float *probs;         /* (N, V) logits -> probs -> dlogits */
	float *dres, *dln, *dqkv, *datt, *dfc, *dgl;   /* backward scratch */
} trn_acts;

/* Floats of activations per row of a batch. */
uint64_t trn_act_floats_per_row(const trn_model_config *c);
/* Lay the activations of N rows out over base (trn_act_floats_per_row * N
 * floats); a->resid and a->A are the caller's arrays. */
void trn_acts_point(const trn_model_config *c, size_t N, float *base, trn_acts *a);

/* Read-only views of a model's weights, for the sampler (trn_model.c). */
typedef struct trn_blk_view {
	const float *ln1w, *ln1b, *wqkv, *wo, *ln2w, *ln2b, *wfc, *wproj;
} trn_blk_view;
void trn_model_view(const trn_model *m, const float **wte, const float **wout, const float **lnfw,
                    const float **lnfb, trn_blk_view *blocks);

/* ---- backends (trn_backend.c) ---------------------------------------------
 * The run loop calls the model and optimizer only through this table. The
 * CPU reference fills it with trn_model_forward, trn_model_backward and
 * trn_optim_step. A CUDA backend (issue 8) provides its own table: it keeps
 * device copies of weights, gradients and optimizer state, and sync_to_host
 * copies weights and optimizer state back into the host trn_model/trn_optim
 * before a checkpoint is written (NULL for the CPU, whose host copy is the
 * only copy). Its results are checked against the CPU table's. */
typedef struct trn_backend_ops {
	const char *name;
	int (*forward)(trn_model *m, const trn_batch *b, float *loss, trn_error *err);
	int (*backward)(trn_model *m, float scale, trn_error *err);
	int (*step)(trn_optim *o, trn_model *m, const trn_stage *s, float lr_mult, double *norm, trn_error *err);
	int (*sync_to_host)(trn_model *m, trn_optim *o, trn_error *err);
} trn_backend_ops;
/* The table of a backend, or NULL when it is not built in. */
const trn_backend_ops *trn_backend_get(int backend);
#ifdef KILN_TRAIN_CUDA
/* Copy the device gradients into the host model (the agreement check). */
int trn_cuda_grads_to_host(trn_model *m, trn_error *err);
#endif

/* Check a batch against a model before any index is used (trn_model.c). */
int trn_batch_check(const trn_model_config *c, const trn_batch *b, trn_error *err);
/* A device backend's state hangs off the model and is freed with it. */
void *trn_model_backend(const trn_model *m);
void trn_model_set_backend(trn_model *m, void *state, void (*free_fn)(void *));

/* splitmix64 step; a Gaussian from two uniforms (Box-Muller). */
uint64_t trn_mix64(uint64_t x);
float trn_rand_normal(uint64_t *state);

#ifdef __cplusplus
}
#endif

#endif
