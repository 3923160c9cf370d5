/*
 * train_test.c - unit tests for the trainer library: every layer's backward
 * against central finite differences on tiny shapes, the whole model against
 * the committed PyTorch reference (tests/train_ref/ref.bin), optimizers,
 * schedules, config parsing, the data packer, checkpoints and the sampler.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shard.h"
#include "test.h"
#include "train.h"
#include "train_internal.h"

static void fill(float *x, size_t n, uint64_t *rng, float scale)
{
	for (size_t i = 0; i < n; i++)
		x[i] = scale * (float)(trn_rand_unit(rng) * 2.0 - 1.0);
}

static double dot(const float *a, const float *b, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

/* Compare an analytic gradient with a central difference of loss() at every
 * element of x: |a - n| <= atol + rtol * max(|a|, |n|). */
typedef double (*loss_fn)(void *ctx);
static void gradcheck(const char *what, float *x, const float *grad, size_t n, loss_fn f, void *ctx,
                      double h, double atol, double rtol)
{
	for (size_t i = 0; i < n; i++) {
		float keep = x[i];
		x[i] = keep + (float)h;
		double lp = f(ctx);
		x[i] = keep - (float)h;
		double lm = f(ctx);
		x[i] = keep;
		double num = (lp - lm) / (2 * h), an = grad[i];
		double tol = atol + rtol * fmax(fabs(an), fabs(num));
		CHECKF(fabs(an - num) <= tol, "%s[%zu]: analytic %.6g vs numeric %.6g", what, i, an, num);
	}
}

/* ---- layer norm ---------------------------------------------------------- */

typedef struct { int N, C; float *x, *w, *b, *out, *mean, *rstd, *R; } ln_ctx;
static double ln_loss(void *p)
{
	ln_ctx *c = p;
	trn_layernorm_forward(c->out, c->mean, c->rstd, c->x, c->w, c->b, c->N, c->C);
	return dot(c->out, c->R, (size_t)c->N * c->C);
}

TEST(grad_layernorm)
{
	uint64_t rng = 1;
	int N = 3, C = 8;
	float x[24], w[8], b[8], out[24], mean[3], rstd[3], R[24];
	float dx[24] = { 0 }, dw[8] = { 0 }, db[8] = { 0 };
	fill(x, 24, &rng, 2);
	fill(w, 8, &rng, 1);
	fill(b, 8, &rng, 1);
	fill(R, 24, &rng, 1);
	ln_ctx c = { N, C, x, w, b, out, mean, rstd, R };
	ln_loss(&c);
	trn_layernorm_backward(dx, dw, db, R, x, w, mean, rstd, N, C);
	gradcheck("dx", x, dx, 24, ln_loss, &c, 1e-2, 2e-3, 2e-2);
	gradcheck("dw", w, dw, 8, ln_loss, &c, 1e-2, 2e-3, 2e-2);
	gradcheck("db", b, db, 8, ln_loss, &c, 1e-2, 2e-3, 2e-2);
}

/* ---- matmul --------------------------------------------------------------- */

typedef struct { int N, C, OC; float *x, *W, *out, *R; } mm_ctx;
static double mm_loss(void *p)
{
	mm_ctx *c = p;
	trn_matmul_forward(c->out, c->x, c->W, c->N, c->C, c->OC);
	return dot(c->out, c->R, (size_t)c->N * c->OC);
}

TEST(grad_matmul)
{
	uint64_t rng = 2;
	int N = 4, C = 5, OC = 3;
	float x[20], W[15], out[12], R[12], dx[20], dW[15] = { 0 };
	fill(x, 20, &rng, 1);
	fill(W, 15, &rng, 1);
	fill(R, 12, &rng, 1);
	mm_ctx c = { N, C, OC, x, W, out, R };
	trn_matmul_backward(dx, dW, R, x, W, N, C, OC);
	gradcheck("dx", x, dx, 20, mm_loss, &c, 1e-2, 1e-3, 1e-2);
	gradcheck("dW", W, dW, 15, mm_loss, &c, 1e-2, 1e-3, 1e-2);
}

/* ---- GELU ----------------------------------------------------------------- */

typedef struct { size_t n; float *x, *out, *R; } gl_ctx;
static double gl_loss(void *p)
{
	gl_ctx *c = p;
	trn_gelu_forward(c->out, c->x, c->n);
	return dot(c->out, c->R, c->n);
}

TEST(grad_gelu)
{
	uint64_t rng = 3;
	float x[16], out[16], R[16], dx[16];
	fill(x, 16, &rng, 3);
	fill(R, 16, &rng, 1);
	gl_ctx c = { 16, x, out, R };
	trn_gelu_backward(dx, x, R, 16);
	gradcheck("dx", x, dx, 16, gl_loss, &c, 1e-2, 1e-3, 1e-2);
}

/* ---- rotary --------------------------------------------------------------- */

typedef struct { int N, C, NH; float *x, *y, *R; int32_t *pos; } rp_ctx;
static double rp_loss(void *p)
{
	rp_ctx *c = p;
	memcpy(c->y, c->x, (size_t)c->N * 3 * c->C * sizeof(float));
	trn_rope(c->y, c->pos, c->N, c->C, c->NH, 10000.0f, 0);
	return dot(c->y, c->R, (size_t)c->N * 3 * c->C);
}

TEST(grad_rope)
{
	uint64_t rng = 4;
	enum { N = 3, C = 8, NH = 2, S = N * 3 * C };
	float x[S], y[S], R[S], d[S];
	int32_t pos[N] = { 0, 5, 17 };
	fill(x, S, &rng, 1);
	fill(R, S, &rng, 1);
	rp_ctx c = { N, C, NH, x, y, R, pos };
	memcpy(d, R, sizeof d);
	trn_rope(d, pos, N, C, NH, 10000.0f, 1);
	gradcheck("dqkv", x, d, S, rp_loss, &c, 1e-2, 1e-3, 1e-2);
	/* the v third is untouched */
	rp_loss(&c);
	CHECK_MEM(y + 2 * C, x + 2 * C, C * sizeof(float));
}

/* ---- attention ------------------------------------------------------------ */

typedef struct { int B, T, C, NH; float *qkv, *out, *lse, *R; int32_t *seg; } at_ctx;
static double at_loss(void *p)
{
	at_ctx *c = p;
	trn_attention_forward(c->out, c->lse, c->qkv, c->seg, c->B, c->T, c->C, c->NH);
	return dot(c->out, c->R, (size_t)c->B * c->T * c->C);
}

TEST(grad_attention)
{
	uint64_t rng = 5;
	enum { B = 2, T = 5, C = 8, NH = 2, S = B * T * 3 * C };
	float qkv[S], out[B * T * C], lse[B * NH * T], R[B * T * C], d[S];
	/* row 0 one document; row 1 two documents (positions 0-1, 2-4) */
	int32_t seg[B * T] = { 0, 0, 0, 0, 0, 0, 0, 2, 2, 2 };
	fill(qkv, S, &rng, 1.5f);
	fill(R, B * T * C, &rng, 1);
	at_ctx c = { B, T, C, NH, qkv, out, lse, R, seg };
	at_loss(&c);
	trn_attention_backward(d, R, qkv, out, lse, seg, B, T, C, NH);
	gradcheck("dqkv", qkv, d, S, at_loss, &c, 1e-2, 2e-3, 2e-2);
	/* a document boundary blocks attention: position 2 of row 1 sees only itself,
	 * so its output is its own v */
	at_loss(&c);
	for (int h = 0; h < NH; h++)
		for (int i = 0; i < C / NH; i++)
			CHECK_NEAR(out[(1 * T + 2) * C + h * 4 + i], qkv[(1 * T + 2) * 3 * C + 2 * C + h * 4 + i], 1e-6);
}

/* ---- softmax + cross-entropy -------------------------------------------------- */

typedef struct { int N, V; float *logits, *probs, *w; uint32_t *tgt; } ce_ctx;
static double ce_loss(void *p)
{
	ce_ctx *c = p;
	double ls, ws;
	memcpy(c->probs, c->logits, (size_t)c->N * c->V * sizeof(float));
	trn_softmax_ce_forward(c->probs, c->tgt, c->w, c->N, c->V, &ls, &ws);
	return ls / ws;
}

TEST(grad_softmax_ce)
{
	uint64_t rng = 6;
	enum { N = 4, V = 7 };
	float logits[N * V], probs[N * V], w[N] = { 1, 0, 1, 1 };
	uint32_t tgt[N] = { 3, 0, 6, 1 };
	fill(logits, N * V, &rng, 3);
	ce_ctx c = { N, V, logits, probs, w, tgt };
	double L = ce_loss(&c);
	/* masked row 1 contributes nothing: loss is the mean of the three others */
	double want = 0;
	for (int n = 0; n < N; n++) {
		if (n == 1)
			continue;
		double mx = -1e30, s = 0;
		for (int v = 0; v < V; v++) mx = fmax(mx, logits[n * V + v]);
		for (int v = 0; v < V; v++) s += exp(logits[n * V + v] - mx);
		want += -(logits[n * V + tgt[n]] - mx - log(s));
	}
	CHECK_NEAR(L, want / 3, 1e-5);
	trn_softmax_ce_backward(probs, tgt, w, N, V, 1.0f / 3);
	float d[N * V];
	memcpy(d, probs, sizeof d);   /* ce_loss reuses probs */
	gradcheck("dlogits", logits, d, N * V, ce_loss, &c, 1e-2, 1e-3, 1e-2);
}

/* ---- encoder ----------------------------------------------------------------- */

TEST(grad_encoder_and_sin2d)
{
	enum { N = 4, C = 8, V = 5 };
	float wte[V * C], out[N * C], dout[N * C], dwte[V * C] = { 0 };
	uint32_t tok[N] = { 1, 3, 1, 4 };
	int32_t pos[N] = { 0, 1, 2, 3 };
	uint64_t rng = 7;
	fill(wte, V * C, &rng, 1);
	fill(dout, N * C, &rng, 1);
	trn_encoder_forward(out, tok, pos, wte, N, C, 0, 0);
	CHECK_MEM(out + C, wte + 3 * C, C * sizeof(float));
	trn_encoder_backward(dwte, dout, tok, N, C);
	/* token 1 appears twice: its gradient row is the sum of both */
	for (int c = 0; c < C; c++)
		CHECK_NEAR(dwte[1 * C + c], dout[c] + dout[2 * C + c], 1e-6);
	/* sin2d: grid cell 5 with prefix 2 and width 3 is row 2, column 2 */
	float pe[C];
	trn_sin2d(pe, 2 + 5, C, 3, 2);
	CHECK_NEAR(pe[0], sin(2.0), 1e-6);
	CHECK_NEAR(pe[1], cos(2.0), 1e-6);
	CHECK_NEAR(pe[4], sin(2.0), 1e-6);
	CHECK_NEAR(pe[6], sin(2.0 * pow(10000.0, -2.0 / 4)), 1e-6);
}

/* ---- the PyTorch reference (tests/train_ref/make_ref.py) -------------------- */

typedef struct ref { unsigned char *data; size_t n; } ref;

/* Find record name in the reference file; returns its elements and count. */
static const void *ref_get(const ref *r, const char *name, uint32_t type, uint64_t *count)
{
	size_t off = 8;
	while (off + 44 <= r->n) {
		const unsigned char *h = r->data + off;
		uint32_t t;
		uint64_t c;
		memcpy(&t, h + 32, 4);
		memcpy(&c, h + 36, 8);
		size_t esz = t == 3 ? 1 : 4;
		if (c > (r->n - off - 44) / esz)
			break;
		if (!strncmp((const char *)h, name, 32)) {
			CHECKF(t == type, "%s: type %u, wanted %u", name, t, type);
			*count = c;
			return h + 44;
		}
		off += 44 + c * esz;
	}
	test__fail(__FILE__, __LINE__, "reference record %s missing", name);
}

static void check_close(const char *what, const float *got, const float *want, size_t n, double atol, double rtol)
{
	double worst = 0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)got[i] - want[i]);
		double tol = atol + rtol * fabs(want[i]);
		CHECKF(d <= tol, "%s[%zu]: %.8g vs reference %.8g (tol %.2g)", what, i, got[i], want[i], tol);
		if (d > worst)
			worst = d;
	}
	fprintf(stderr, "  %s: max abs difference %.3g over %zu values\n", what, worst, n);
}

/* Tolerances: the C side computes in float32, the reference in float64 from
 * the same float32 weights. Logits-level values agree to ~1e-6; gradients
 * to ~1e-5 relative; after three optimizer steps (Adam divides by sqrt(v),
 * Muon's Newton-Schulz amplifies rounding) weights to ~1e-4. */
static void ref_model(const char *tag)
{
	char path[4096], nm[64];
	snprintf(path, sizeof path, "%s/tests/train_ref/ref.bin", test_srcdir());
	ref r;
	r.data = test_read_file(path, &r.n);
	CHECK(r.n > 8 && !memcmp(r.data, "KTRNREF1", 8));
	uint64_t n;
	snprintf(nm, sizeof nm, "%s.config", tag);
	const char *text = ref_get(&r, nm, 3, &n);
	trn_config cfg;
	trn_error err;
	CHECKF(trn_config_parse(text, n, "ref", &cfg, &err) == 0, "%s", err.msg);
	CHECKF(trn_config_check(&cfg, &err) == 0, "%s", err.msg);
	trn_model *m;
	CHECKF(trn_model_create(&cfg.model, &m, &err) == 0, "%s", err.msg);
	size_t P = trn_model_nparams(m);
	snprintf(nm, sizeof nm, "%s.params", tag);
	const float *params = ref_get(&r, nm, 0, &n);
	CHECK_EQ_U64(n, P);
	memcpy(trn_model_params(m), params, P * sizeof(float));

	int B = cfg.stages[0].batch, T = cfg.stages[0].ctx, V = cfg.model.vocab;
	trn_batch b;
	CHECK(trn_batch_alloc(&b, B, T) == 0);
	snprintf(nm, sizeof nm, "%s.tok", tag); memcpy(b.tok, ref_get(&r, nm, 1, &n), (size_t)B * T * 4); CHECK_EQ_U64(n, B * T);
	snprintf(nm, sizeof nm, "%s.tgt", tag); memcpy(b.tgt, ref_get(&r, nm, 1, &n), (size_t)B * T * 4);
	snprintf(nm, sizeof nm, "%s.w", tag); memcpy(b.w, ref_get(&r, nm, 0, &n), (size_t)B * T * 4);
	snprintf(nm, sizeof nm, "%s.pos", tag); memcpy(b.pos, ref_get(&r, nm, 2, &n), (size_t)B * T * 4);
	snprintf(nm, sizeof nm, "%s.seg", tag); memcpy(b.seg, ref_get(&r, nm, 2, &n), (size_t)B * T * 4);

	float loss;
	trn_model_zero_grad(m);
	CHECKF(trn_model_forward(m, &b, &loss, &err) == 0, "%s", err.msg);
	snprintf(nm, sizeof nm, "%s.loss", tag);
	const float *want_loss = ref_get(&r, nm, 0, &n);
	CHECK_NEAR(loss, want_loss[0], 1e-5 * fabs(want_loss[0]) + 1e-6);
	snprintf(nm, sizeof nm, "%s.probs", tag);
	check_close("probs", trn_model_probs(m), ref_get(&r, nm, 0, &n), (size_t)B * T * V, 1e-6, 1e-5);
	CHECK(trn_model_backward(m, 1.0f, &err) == 0);
	snprintf(nm, sizeof nm, "%s.grads", tag);
	check_close("grads", trn_model_grads(m), ref_get(&r, nm, 0, &n), P, 1e-6, 1e-4);

	/* three optimizer steps on the same batch */
	trn_optim o;
	CHECK(trn_optim_alloc(&o, P) == 0);
	snprintf(nm, sizeof nm, "%s.step_losses", tag);
	const float *want_losses = ref_get(&r, nm, 0, &n);
	CHECK_EQ_U64(n, 3);
	memcpy(trn_model_params(m), params, P * sizeof(float));
	for (int s = 0; s < 3; s++) {
		trn_model_zero_grad(m);
		CHECK(trn_model_forward(m, &b, &loss, &err) == 0);
		CHECK_NEAR(loss, want_losses[s], 1e-4 * fabs(want_losses[s]) + 1e-5);
		CHECK(trn_model_backward(m, 1.0f, &err) == 0);
		CHECKF(trn_optim_step(&o, m, &cfg.stages[0], trn_lr_mult(&cfg.stages[0], s), NULL, &err) == 0, "%s", err.msg);
	}
	snprintf(nm, sizeof nm, "%s.step_params", tag);
	check_close("params after 3 steps", trn_model_params(m), ref_get(&r, nm, 0, &n), P, 2e-5, 1e-3);
	trn_optim_free(&o);
	trn_batch_free(&b);
	trn_model_free(m);
	free(r.data);
}

TEST(pytorch_ref_rope_adamw) { ref_model("a"); }
TEST(pytorch_ref_sin2d_tied_muon) { ref_model("b"); }
