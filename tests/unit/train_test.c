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

typedef struct ref { unsigned char *data; size_t n; void *copies[32]; int ncopies; } ref;

/* Find record name in the reference file; returns an aligned copy of its
 * elements (records in the file are not 4-byte aligned) and their count. */
static const void *ref_get(ref *r, const char *name, uint32_t type, uint64_t *count)
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
			CHECK(r->ncopies < 32);
			void *copy = malloc(c * esz + 1);
			memcpy(copy, h + 44, c * esz);
			r->copies[r->ncopies++] = copy;
			*count = c;
			return copy;
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
	ref r = { 0 };
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
	for (int i = 0; i < r.ncopies; i++)
		free(r.copies[i]);
	free(r.data);
}

TEST(pytorch_ref_rope_adamw) { ref_model("a"); }
TEST(pytorch_ref_sin2d_tied_muon) { ref_model("b"); }

/* ---- whole model vs finite differences ------------------------------------- */

typedef struct { trn_model *m; trn_batch *b; } mdl_ctx;
static double mdl_loss(void *p)
{
	mdl_ctx *c = p;
	float loss;
	trn_error err;
	CHECK(trn_model_forward(c->m, c->b, &loss, &err) == 0);
	return loss;
}

static void model_gradcheck(int pos, int tie)
{
	trn_model_config mc = { .n_layer = 2, .width = 8, .n_head = 2, .ctx = 6, .vocab = 7, .mlp = 2,
	                        .pos = pos, .tie = tie, .rope_theta = 10000, .grid_width = 2, .grid_prefix = 1,
	                        .init_std = 0.5f };
	trn_model *m;
	trn_error err;
	CHECK(trn_model_create(&mc, &m, &err) == 0);
	trn_model_init(m, 42);
	trn_batch b;
	CHECK(trn_batch_alloc(&b, 2, 6) == 0);
	uint64_t rng = 9;
	for (int i = 0; i < 12; i++) {
		b.tok[i] = (uint32_t)(test_rand(&rng) % 7);
		b.tgt[i] = (uint32_t)(test_rand(&rng) % 7);
		b.w[i] = i % 5 == 0 ? 0.0f : 1.0f;
		b.pos[i] = i % 6 < 3 || i < 6 ? i % 6 : i % 6 - 3;
		b.seg[i] = i < 6 || i % 6 < 3 ? 0 : 3;
	}
	mdl_ctx c = { m, &b };
	trn_model_zero_grad(m);
	mdl_loss(&c);
	CHECK(trn_model_backward(m, 1.0f, &err) == 0);
	size_t n = trn_model_nparams(m);
	CHECK_EQ_U64(trn_model_count_params(&mc), n);
	float *g = malloc(n * sizeof(float));
	memcpy(g, trn_model_grads(m), n * sizeof(float));
	/* every tensor, a few elements each */
	for (int k = 0; k < trn_model_ntensors(m); k++) {
		const trn_tensor *t = trn_model_tensor(m, k);
		size_t sz = (size_t)t->rows * t->cols;
		for (size_t j = 0; j < sz; j += 1 + sz / 5)
			gradcheck(t->name, trn_model_params(m) + t->offset + j, g + t->offset + j, 1, mdl_loss, &c,
			          1e-2, 3e-4, 3e-2);
	}
	free(g);
	trn_batch_free(&b);
	trn_model_free(m);
}

TEST(grad_model_rope_untied) { model_gradcheck(TRN_POS_ROPE, 0); }
TEST(grad_model_sin2d_tied) { model_gradcheck(TRN_POS_SIN2D, 1); }

/* ---- optimizer pieces ---------------------------------------------------------- */

TEST(newton_schulz_orthogonalises)
{
	/* the quintic iteration drives singular values into roughly [0.7, 1.2]:
	 * check X X^T is near the identity in that loose sense, both shapes */
	int shapes[2][2] = { { 4, 9 }, { 9, 4 } };
	for (int s = 0; s < 2; s++) {
		int r = shapes[s][0], c = shapes[s][1], k = r < c ? r : c;
		float g[36], scratch[2 * 16 + 2 * 36];
		uint64_t rng = 11 + s;
		fill(g, 36, &rng, 1);
		trn_newton_schulz(g, r, c, 5, scratch);
		for (int i = 0; i < k; i++)
			for (int j = 0; j < k; j++) {
				double d = 0;
				for (int t = 0; t < (r < c ? c : r); t++)
					d += r < c ? (double)g[i * c + t] * g[j * c + t] : (double)g[t * c + i] * g[t * c + j];
				if (i == j)
					CHECKF(d > 0.45 && d < 1.5, "diag %d: %g", i, d);
				else
					CHECKF(fabs(d) < 0.35, "off-diag %d,%d: %g", i, j, d);
			}
	}
}

TEST(schedules)
{
	trn_stage s = { .steps = 100, .warmup = 10, .min_lr = 0.1f, .decay = 0.2f };
	s.sched = TRN_SCHED_COSINE;
	CHECK_NEAR(trn_lr_mult(&s, 0), 0.1, 1e-6);
	CHECK_NEAR(trn_lr_mult(&s, 9), 1.0, 1e-6);
	CHECK_NEAR(trn_lr_mult(&s, 10), 1.0, 1e-6);
	CHECK_NEAR(trn_lr_mult(&s, 99), 0.1, 1e-6);
	/* the middle of the cosine is halfway between peak and floor */
	s.warmup = 0;
	s.steps = 101;
	CHECK_NEAR(trn_lr_mult(&s, 50), 0.55, 1e-6);
	s.sched = TRN_SCHED_LINEAR;
	CHECK_NEAR(trn_lr_mult(&s, 50), 0.55, 1e-6);
	s.sched = TRN_SCHED_CONSTANT;
	CHECK_NEAR(trn_lr_mult(&s, 77), 1.0, 1e-6);
	s.sched = TRN_SCHED_WSD;
	CHECK_NEAR(trn_lr_mult(&s, 80), 1.0, 1e-6);   /* stable until 80% */
	CHECK_NEAR(trn_lr_mult(&s, 90), 0.55, 1e-6);  /* halfway down the decay */
	CHECK_NEAR(trn_lr_mult(&s, 100), 0.1, 1e-6);
}

/* ---- config ------------------------------------------------------------------------ */

TEST(config_parse_stages_and_round_trip)
{
	const char *text =
		"# ByteCraft-style staged run\n"
		"data = d\nout = r\nseed = 7\nlr = 3e-4   # a default for every stage\nbatch = 2\n"
		"[model]\nlayers = 3\nwidth = 48\nheads = 6\nvocab = 300\n"
		"[stage short]\ncontext = 64\nsteps = 10\noptimizer = muon\n"
		"[stage long]\ncontext = 256\nsteps = 5\nlr = 1e-4\nschedule = wsd\n";
	trn_config c, d;
	trn_error err;
	CHECKF(trn_config_parse(text, strlen(text), "t.conf", &c, &err) == 0, "%s", err.msg);
	CHECK(trn_config_check(&c, &err) == 0);
	CHECK_EQ_U64(c.n_stages, 2);
	CHECK_STR(c.stages[0].name, "short");
	CHECK_EQ_U64(c.stages[0].opt, TRN_OPT_MUON);
	CHECK_NEAR(c.stages[0].lr, 3e-4, 1e-9);
	CHECK_NEAR(c.stages[1].lr, 1e-4, 1e-9);
	CHECK_EQ_U64(c.stages[1].batch, 2);
	CHECK_EQ_U64(c.model.ctx, 256);   /* the longest stage's */
	CHECK_EQ_U64(c.seed, 7);
	char *canon = trn_config_text(&c);
	CHECK(canon);
	CHECKF(trn_config_parse(canon, strlen(canon), "canon", &d, &err) == 0, "%s", err.msg);
	CHECK(!memcmp(&c, &d, sizeof c));
	free(canon);
	/* errors name the line */
	const char *bad[] = { "[model]\nwidth = 12x\n", "nonsense = 1\n", "[stage a]\n[stage a]\n",
	                      "[model]\nlayers = 0\n", "[bogus]\n", "lr\n", "[model]\nwidth = 10\nheads = 3\ncontext = 8\n" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = trn_config_parse(bad[i], strlen(bad[i]), "bad.conf", &c, &err);
		if (rc == 0)
			rc = trn_config_check(&c, &err);
		CHECKF(rc < 0, "accepted: %s", bad[i]);
	}
	CHECK(trn_config_parse("[model]\nwidth = 12x\n", 20, "bad.conf", &c, &err) < 0);
	CHECKF(strstr(err.msg, "bad.conf:2") != NULL, "%s", err.msg);
}

/* The lines that set data and val, for the tool's messages about them. */
TEST(config_parse_lines_of_datasets)
{
	const char *text = "# run\nseed = 2\n\nval = v   # held out\ndata = d\n[model]\ncontext = 8\n";
	trn_config c;
	trn_config_lines l = { -1, -1 };
	trn_error err;
	CHECKF(trn_config_parse_lines(text, strlen(text), "l.conf", &c, &l, &err) == 0, "%s", err.msg);
	CHECK_EQ_U64(l.data, 5);
	CHECK_EQ_U64(l.val, 4);
	CHECK_STR(c.val, "v");
	text = "data = d\n";
	CHECK(trn_config_parse_lines(text, strlen(text), "l.conf", &c, &l, &err) == 0);
	CHECK_EQ_U64(l.data, 1);
	CHECK_EQ_U64(l.val, 0);
}

/* A stage of no steps was accepted; last in a run, it ended the run with
 * no final save (no model.kckpt). */
TEST(config_refuses_a_stage_of_no_steps)
{
	const char *text = "[model]\ncontext = 8\n[stage a]\nsteps = 3\n[stage b]\nsteps = 0\n";
	trn_config c;
	trn_error err;
	int rc = trn_config_parse(text, strlen(text), "z.conf", &c, &err);
	if (rc == 0)
		rc = trn_config_check(&c, &err);
	CHECK_EQ_U64(rc, TRN_EINVAL);
	CHECKF(strstr(err.msg, "z.conf:6: bad value '0' for steps") != NULL, "%s", err.msg);
}

/* A key given twice in one scope was taken silently (the last one won). */
TEST(config_refuses_repeated_keys)
{
	const char *bad[][2] = {
		{ "lr = 1e-3\nlr = 2e-3\n[model]\ncontext = 8\n", "d.conf:2: lr is already set on line 1" },
		{ "data = a\n\ndata = b\n[model]\ncontext = 8\n", "d.conf:3: data is already set on line 1" },
		{ "[model]\nlayers = 1\ncontext = 8\n[model]\nlayers = 2\n", "d.conf:5: layers is already set on line 2" },
		{ "[model]\ncontext = 8\n[stage a]\nsteps = 3\nsteps = 4\n", "d.conf:5: steps is already set on line 4" },
	};
	trn_config c;
	trn_error err;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		CHECK_EQ_U64(trn_config_parse(bad[i][0], strlen(bad[i][0]), "d.conf", &c, &err), TRN_EFORMAT);
		CHECKF(strstr(err.msg, bad[i][1]) != NULL, "%s", err.msg);
	}
	/* one key in several scopes is no repeat: a default, then each stage's own */
	const char *ok = "lr = 1e-3\n[model]\ncontext = 8\n[stage a]\nlr = 2e-3\n[stage b]\nlr = 3e-3\n";
	CHECKF(trn_config_parse(ok, strlen(ok), "d.conf", &c, &err) == 0, "%s", err.msg);
	CHECK_NEAR(c.stages[1].lr, 3e-3, 1e-9);
}

/* ---- tiny datasets ------------------------------------------------------------- */

/* Write a token dataset into folder dir: n docs, doc i has plen[i] prompt
 * ids and clen[i] content ids; content of doc i is (i*7 + j) % vocab. */
static void make_tokens(const char *dir, int n, const int *plen, const int *clen, uint32_t vocab)
{
	CHECK(test_sh("mkdir -p %s", dir) == 0);
	shard_spec sp;
	shard_spec_init(&sp, SHARD_TOKENS);
	sp.vocab_size = vocab;
	sp.elem_size = shard_elem_size_for_vocab(vocab);
	memset(sp.fingerprint, 0xab, sizeof sp.fingerprint);
	shard_writer *w;
	shard_error se;
	CHECKF(shard_writer_create(dir, &sp, NULL, &w, &se) == 0, "%s", se.msg);
	for (int i = 0; i < n; i++) {
		uint32_t p[64], c[256];
		for (int j = 0; j < plen[i]; j++)
			p[j] = (uint32_t)((i + 1) * 3 + j) % vocab;
		for (int j = 0; j < clen[i]; j++)
			c[j] = (uint32_t)(i * 7 + j) % vocab;
		CHECKF(shard_writer_add_u32(w, p, (uint64_t)plen[i], c, (uint64_t)clen[i], (uint64_t)i, &se) == 0, "%s", se.msg);
	}
	CHECKF(shard_writer_close(w, &se) == 0, "%s", se.msg);
}

TEST(data_packs_on_document_boundaries)
{
	/* docs (BOS prompt content EOS) give 1+p+c predictions: 4, 6, 12, 3 */
	int plen[4] = { 1, 2, 0, 0 }, clen[4] = { 2, 3, 11, 2 };
	make_tokens("ds", 4, plen, clen, 50);
	trn_data *d;
	trn_error err;
	CHECKF(trn_data_open("ds", 1, 0, &d, &err) == 0, "%s", err.msg);
	CHECK_EQ_U64(trn_data_docs(d), 4);
	CHECK_EQ_U64(trn_data_bos(d), 50);   /* the spec has none: appended */
	CHECK_EQ_U64(trn_data_eos(d), 51);
	CHECK_EQ_U64(trn_data_vocab(d), 52);
	trn_batch b;
	CHECK(trn_batch_alloc(&b, 3, 8) == 0);
	CHECKF(trn_data_next(d, &b, &err) == 0, "%s", err.msg);
	/* row 0: doc 0 (4 predictions) at 0..3, doc 1 does not fit the 4 left: padding */
	CHECK_EQ_U64(b.tok[0], 50);
	CHECK_EQ_U64(b.tgt[0], 3);          /* the prompt id */
	CHECK(b.w[0] == 0.0f);              /* predicting the prompt: masked */
	CHECK(b.w[1] == 1.0f && b.w[2] == 1.0f && b.w[3] == 1.0f);
	CHECK_EQ_U64(b.tgt[3], 51);         /* EOS is learnt */
	for (int t = 4; t < 8; t++)
		CHECK(b.w[t] == 0.0f && b.seg[t] == t);
	/* row 1: doc 1 (6 predictions, prompt of 2) then padding */
	CHECK_EQ_U64(b.tok[8], 50);
	CHECK(b.w[8] == 0.0f && b.w[9] == 0.0f && b.w[10] == 1.0f);
	CHECK(b.seg[13] == 0 && b.pos[13] == 5);
	CHECK(b.w[14] == 0.0f);
	/* row 2: doc 2 is longer than a row: its first 8 predictions */
	CHECK_EQ_U64(b.tok[16], 50);
	CHECK_EQ_U64(b.tgt[16], 14);        /* content starts at (2*7) % 50 */
	CHECK(b.seg[23] == 0 && b.pos[23] == 7);
	trn_data_pos p = trn_data_tell(d);
	CHECK_EQ_U64(p.cursor, 2);
	CHECK_EQ_U64(p.offset, 8);
	/* next batch: the rest of doc 2 (4 predictions) then doc 3 (3), then doc 0 of epoch 1 */
	CHECK(trn_data_next(d, &b, &err) == 0);
	CHECK(b.pos[0] == 0 && b.seg[3] == 0 && b.seg[4] == 4 && b.tok[4] == 50);
	CHECK(b.w[7] == 0.0f);              /* padding: doc 0 (4) does not fit the last slot */
	CHECK_EQ_U64(trn_data_tell(d).epoch, 1);
	/* seek back reproduces the same batch */
	trn_batch b2;
	CHECK(trn_batch_alloc(&b2, 3, 8) == 0);
	CHECK(trn_data_seek(d, p, &err) == 0);
	CHECK(trn_data_next(d, &b2, &err) == 0);
	CHECK_MEM(b.tok, b2.tok, 24 * 4);
	CHECK_MEM(b.w, b2.w, 24 * 4);
	trn_batch_free(&b);
	trn_batch_free(&b2);
	trn_data_close(d);
}

TEST(data_shuffle_is_seeded)
{
	int plen[16] = { 0 }, clen[16];
	for (int i = 0; i < 16; i++)
		clen[i] = 6;   /* 7 predictions: one document per row of 7 */
	make_tokens("ds", 16, plen, clen, 200);
	trn_data *a, *b, *c;
	trn_error err;
	CHECK(trn_data_open("ds", 5, 1, &a, &err) == 0);
	CHECK(trn_data_open("ds", 5, 1, &b, &err) == 0);
	CHECK(trn_data_open("ds", 6, 1, &c, &err) == 0);
	trn_batch x, y, z;
	CHECK(trn_batch_alloc(&x, 16, 7) == 0 && trn_batch_alloc(&y, 16, 7) == 0 && trn_batch_alloc(&z, 16, 7) == 0);
	CHECK(trn_data_next(a, &x, &err) == 0 && trn_data_next(b, &y, &err) == 0 && trn_data_next(c, &z, &err) == 0);
	CHECK_MEM(x.tgt, y.tgt, 16 * 7 * 4);
	CHECK(memcmp(x.tgt, z.tgt, 16 * 7 * 4) != 0);
	/* one epoch is a permutation: every document's first content id once */
	int seen[16] = { 0 };
	for (int r = 0; r < 16; r++)
		seen[(x.tgt[r * 7] / 7) % 16]++;
	for (int i = 0; i < 16; i++)
		CHECK_EQ_U64(seen[i], 1);
	/* the next epoch is a different order */
	CHECK(trn_data_next(a, &y, &err) == 0);
	CHECK(memcmp(x.tgt, y.tgt, 16 * 7 * 4) != 0);
	trn_batch_free(&x); trn_batch_free(&y); trn_batch_free(&z);
	trn_data_close(a); trn_data_close(b); trn_data_close(c);
}

TEST(data_sprites_condition_and_grid)
{
	CHECK(test_sh("mkdir -p sp") == 0);
	shard_spec sp;
	shard_spec_init(&sp, SHARD_SPRITES);
	sp.vocab_size = 80;
	sp.elem_size = 1;
	sp.bos_id = 66;
	sp.eos_id = 67;
	sp.width = 4;
	sp.height = 3;
	sp.channels = 2;
	shard_writer *w;
	shard_error se;
	CHECKF(shard_writer_create("sp", &sp, NULL, &w, &se) == 0, "%s", se.msg);
	uint32_t cond[2] = { 70, 75 }, grid[12];
	for (int i = 0; i < 12; i++)
		grid[i] = (uint32_t)i;
	CHECKF(shard_writer_add_u32(w, cond, 2, grid, 12, 0, &se) == 0, "%s", se.msg);
	CHECK(shard_writer_close(w, &se) == 0);
	trn_data *d;
	trn_error err;
	CHECKF(trn_data_open("sp", 1, 0, &d, &err) == 0, "%s", err.msg);
	int gw, gh, gp;
	CHECK(trn_data_is_sprites(d) && trn_data_grid(d, &gw, &gh, &gp) == 0);
	CHECK(gw == 4 && gh == 3 && gp == 3);
	CHECK_EQ_U64(trn_data_bos(d), 66);
	CHECK_EQ_U64(trn_data_vocab(d), 80);
	trn_batch b;
	CHECK(trn_batch_alloc(&b, 1, 15) == 0);
	CHECKF(trn_data_next(d, &b, &err) == 0, "%s", err.msg);
	/* BOS c1 c2 g0..g11 EOS: conditioning predictions masked, grid + EOS learnt */
	CHECK(b.tok[0] == 66 && b.tgt[0] == 70 && b.w[0] == 0.0f && b.w[1] == 0.0f);
	CHECK(b.tgt[2] == 0 && b.w[2] == 1.0f && b.tgt[14] == 67 && b.w[14] == 1.0f);
	trn_batch_free(&b);
	/* a stage context shorter than a sprite document is an error, not a cut */
	CHECK(trn_batch_alloc(&b, 1, 10) == 0);
	CHECK(trn_data_next(d, &b, &err) == TRN_EINVAL);
	trn_batch_free(&b);
	trn_data_close(d);
}

/* ---- sampler vs training forward ----------------------------------------------- */

static void sampler_matches(int pos)
{
	trn_model_config mc = { .n_layer = 2, .width = 16, .n_head = 2, .ctx = 12, .vocab = 9, .mlp = 4,
	                        .pos = pos, .tie = 0, .rope_theta = 10000, .grid_width = 3, .grid_prefix = 2,
	                        .init_std = 0.3f };
	trn_model *m;
	trn_error err;
	CHECK(trn_model_create(&mc, &m, &err) == 0);
	trn_model_init(m, 3);
	trn_batch b;
	CHECK(trn_batch_alloc(&b, 1, 10) == 0);
	uint64_t rng = 5;
	for (int t = 0; t < 10; t++) {
		b.tok[t] = (uint32_t)(test_rand(&rng) % 9);
		b.pos[t] = t;
		b.w[t] = 1;
	}
	float loss, logits[9];
	CHECK(trn_model_forward(m, &b, &loss, &err) == 0);
	trn_sampler *s;
	CHECK(trn_sampler_create(m, &s, &err) == 0);
	for (int n = 1; n <= 10; n += 3) {
		CHECK(trn_sampler_logits(s, b.tok, (size_t)n, logits, &err) == 0);
		double mx = -1e30, sum = 0;
		for (int v = 0; v < 9; v++) mx = fmax(mx, logits[v]);
		for (int v = 0; v < 9; v++) sum += exp(logits[v] - mx);
		for (int v = 0; v < 9; v++)
			CHECK_NEAR(exp(logits[v] - mx) / sum, trn_model_probs(m)[(n - 1) * 9 + v], 1e-6);
	}
	trn_sampler_free(s);
	trn_batch_free(&b);
	trn_model_free(m);
}

TEST(sampler_kv_cache_matches_forward_rope) { sampler_matches(TRN_POS_ROPE); }
TEST(sampler_kv_cache_matches_forward_sin2d) { sampler_matches(TRN_POS_SIN2D); }

TEST(pick_filters)
{
	/* probabilities 0.5, 0.25, 0.125, 0.0625, 0.0625 */
	float lg[5] = { logf(8), logf(4), logf(2), 0, 0 }, scratch[10];
	uint64_t rng = 1;
	int count[5];
	trn_sample_opts greedy = { 0, 0, 1, 0 }, topk = { 1, 2, 1, 0 }, topp = { 1, 0, 0.7f, 0 }, minp = { 1, 0, 1, 0.3f },
	                all = { 1, 0, 1, 0 };
	CHECK_EQ_U64(trn_pick(lg, 5, &greedy, &rng, scratch), 0);
	const trn_sample_opts *opts[4] = { &topk, &topp, &minp, &all };
	int allowed[4] = { 2, 2, 2, 5 };   /* top-2; 0.5+0.25 >= 0.7; >= 0.15 */
	for (int o = 0; o < 4; o++) {
		memset(count, 0, sizeof count);
		for (int i = 0; i < 4000; i++)
			count[trn_pick(lg, 5, opts[o], &rng, scratch)]++;
		for (int v = 0; v < 5; v++)
			CHECKF((count[v] > 0) == (v < allowed[o]), "filter %d token %d drawn %d times", o, v, count[v]);
		/* among the kept, the ratio follows the probabilities (0.5 : 0.25) */
		CHECKF(count[0] > 1.6 * count[1] && count[0] < 2.4 * count[1], "filter %d: %d vs %d", o, count[0], count[1]);
	}
}

/* ---- the run loop: memorising, resuming, checkpoints ------------------------------ */

typedef struct run_log {
	float loss[512];
	int n;
	char ckpt[64];
	int saves;
} run_log;

static int log_step(void *ud, const trn_step_info *i)
{
	run_log *l = ud;
	if (l->n < 512)
		l->loss[l->n++] = i->loss;
	return 0;
}

static int save_ckpt(void *ud, const trn_config *c, const trn_ckpt_state *st, const trn_model *m, const trn_optim *o)
{
	run_log *l = ud;
	FILE *fp = fopen(l->ckpt, "wb");
	trn_error err;
	CHECK(fp);
	CHECKF(trn_ckpt_write(fp, c, st, m, o, &err) == 0, "%s", err.msg);
	CHECK(fclose(fp) == 0);
	l->saves++;
	return 0;
}

/* A two-stage run on 6 short documents: Muon at context 16, then AdamW at 32. */
static void tiny_config(trn_config *c, trn_data *d)
{
	const char *text = "seed = 3\ncheckpoint_every = 7\nbatch = 2\ngrad_clip = 1\nwarmup = 2\n"
	                   "[model]\nlayers = 2\nwidth = 32\nheads = 4\nmlp = 2\n"
	                   "[stage a]\ncontext = 16\nsteps = 40\noptimizer = muon\nlr = 0.01\nmuon_lr = 0.03\n"
	                   "[stage b]\ncontext = 32\nsteps = 60\nlr = 0.01\nschedule = linear\n";
	trn_error err;
	CHECKF(trn_config_parse(text, strlen(text), "tiny", c, &err) == 0, "%s", err.msg);
	c->model.vocab = (int)trn_data_vocab(d);
	CHECKF(trn_config_check(c, &err) == 0, "%s", err.msg);
}

TEST(run_memorises_then_samples_it_back)
{
	int plen[6] = { 1, 1, 1, 1, 1, 1 }, clen[6] = { 10, 10, 10, 10, 10, 10 };
	make_tokens("ds", 6, plen, clen, 40);
	trn_data *d;
	trn_error err;
	CHECK(trn_data_open("ds", 1, 1, &d, &err) == 0);
	trn_config c;
	tiny_config(&c, d);
	run_log log = { .ckpt = "ck.kckpt" };
	trn_run_hooks h = { &log, log_step, NULL, save_ckpt };
	CHECKF(trn_run(&c, d, NULL, NULL, 0, &h, &err) == 0, "%s", err.msg);
	CHECK_EQ_U64(log.n, 100);
	CHECKF(log.loss[0] > 2.5f, "first loss %g", log.loss[0]);
	CHECKF(log.loss[99] < 0.05f, "final loss %g (memorisable data)", log.loss[99]);
	/* the final checkpoint, sampled greedily from doc 4's prompt, gives doc 4 back */
	trn_ckpt *k;
	CHECKF(trn_ckpt_read("ck.kckpt", &k, &err) == 0, "%s", err.msg);
	CHECK(trn_ckpt_state_of(k)->done == 1);
	CHECK_EQ_U64(trn_ckpt_state_of(k)->gstep, 100);
	trn_model *m;
	CHECK(trn_model_create(&trn_ckpt_config(k)->model, &m, &err) == 0);
	CHECK(trn_ckpt_load(k, m, NULL, &err) == 0);
	uint32_t doc[32], out[32];
	size_t n, np, got;
	CHECK(trn_data_doc(d, 4, doc, 32, &n, &np, &err) == 0);
	CHECK_EQ_U64(n, 13);
	trn_sampler *s;
	CHECK(trn_sampler_create(m, &s, &err) == 0);
	trn_sample_opts greedy = { 0, 0, 1, 0 };
	uint64_t rng = 1;
	CHECKF(trn_generate(s, doc, np, NULL, 20, trn_data_eos(d), &greedy, &rng, out, &got, &err) == 0, "%s", err.msg);
	CHECK_EQ_U64(got, n - np);   /* content then EOS */
	CHECK_MEM(out, doc + np, (n - np) * 4);
	/* forced positions are kept as given, free ones are filled */
	uint32_t forced[11];
	for (int i = 0; i < 11; i++)
		forced[i] = i % 3 ? TRN_FREE : doc[np + i];
	CHECK(trn_generate(s, doc, np, forced, 11, TRN_FREE, &greedy, &rng, out, &got, &err) == 0);
	CHECK_EQ_U64(got, 11);
	CHECK_MEM(out, doc + np, 11 * 4);
	trn_sampler_free(s);
	trn_model_free(m);
	trn_ckpt_free(k);
	trn_data_close(d);
}

TEST(resume_is_bit_exact)
{
	int plen[5] = { 2, 0, 1, 3, 0 }, clen[5] = { 9, 20, 5, 7, 40 };
	make_tokens("ds", 5, plen, clen, 60);
	trn_data *d;
	trn_error err;
	CHECK(trn_data_open("ds", 9, 1, &d, &err) == 0);
	trn_config c;
	tiny_config(&c, d);
	c.stages[0].steps = 12;
	c.stages[1].steps = 10;
	c.stages[0].accum = 2;
	/* uninterrupted */
	run_log a = { .ckpt = "a.kckpt" };
	trn_run_hooks ha = { &a, log_step, NULL, save_ckpt };
	CHECKF(trn_run(&c, d, NULL, NULL, 0, &ha, &err) == 0, "%s", err.msg);
	/* interrupted at 5 (mid stage a), at 12 (a stage boundary) and at 17 */
	int64_t stops[3] = { 5, 12, 17 };
	for (int i = 0; i < 3; i++) {
		trn_data *d2;
		CHECK(trn_data_open("ds", 9, 1, &d2, &err) == 0);
		run_log b = { .ckpt = "b.kckpt" };
		trn_run_hooks hb = { &b, log_step, NULL, save_ckpt };
		CHECK_EQ_I64(trn_run(&c, d2, NULL, NULL, stops[i], &hb, &err), TRN_STOPPED);
		CHECK_EQ_U64(b.n, stops[i]);
		trn_data_close(d2);
		/* a fresh process: new loader, state from the file */
		trn_ckpt *k;
		CHECKF(trn_ckpt_read("b.kckpt", &k, &err) == 0, "%s", err.msg);
		CHECK(trn_data_open("ds", 9, 1, &d2, &err) == 0);
		CHECKF(trn_run(&c, d2, NULL, k, 0, &hb, &err) == 0, "%s", err.msg);
		trn_ckpt_free(k);
		trn_data_close(d2);
		CHECK_EQ_U64(b.n, 22);
		CHECK_MEM(b.loss, a.loss, 22 * sizeof(float));
		size_t na, nb;
		unsigned char *fa = test_read_file("a.kckpt", &na), *fb = test_read_file("b.kckpt", &nb);
		CHECK_EQ_U64(na, nb);
		CHECK_MEM(fa, fb, na);   /* weights, optimizer state, position: identical */
		free(fa);
		free(fb);
	}
	trn_data_close(d);
}

TEST(checkpoint_rejects_damage)
{
	trn_model_config mc = { .n_layer = 1, .width = 8, .n_head = 2, .ctx = 8, .vocab = 5, .mlp = 2,
	                        .pos = TRN_POS_ROPE, .tie = 1, .rope_theta = 10000, .init_std = 0.02f };
	trn_config c;
	trn_config_defaults(&c);
	c.model = mc;
	c.stages[0].ctx = 8;
	trn_model *m;
	trn_error err;
	CHECK(trn_model_create(&mc, &m, &err) == 0);
	trn_model_init(m, 1);
	trn_ckpt_state st = { .stage = 0, .step = 3, .gstep = 3, .data = { 1, 2, 0 } };
	FILE *fp = fopen("c.kckpt", "wb");
	CHECK(trn_ckpt_write(fp, &c, &st, m, NULL, &err) == 0);
	fclose(fp);
	size_t n;
	unsigned char *buf = test_read_file("c.kckpt", &n);
	trn_ckpt *k;
	CHECKF(trn_ckpt_read("c.kckpt", &k, &err) == 0, "%s", err.msg);
	CHECK(!trn_ckpt_has_optim(k));
	CHECK_EQ_U64(trn_ckpt_state_of(k)->data.cursor, 2);
	trn_model *m2;
	CHECK(trn_model_create(&mc, &m2, &err) == 0);
	CHECK(trn_ckpt_load(k, m2, NULL, &err) == 0);
	CHECK_MEM(trn_model_params(m2), trn_model_params(m), trn_model_nparams(m) * 4);
	trn_ckpt_free(k);
	/* every truncation, and a flipped byte anywhere, is refused with a message */
	for (size_t cut = 0; cut < n; cut += 1 + n / 40) {
		test_write_file("t.kckpt", buf, cut);
		CHECK(trn_ckpt_read("t.kckpt", &k, &err) < 0);
		CHECK(strstr(err.msg, "t.kckpt") != NULL);
	}
	for (size_t at = 0; at < n; at += 1 + n / 60) {
		buf[at] ^= 0x40;
		test_write_file("f.kckpt", buf, n);
		buf[at] ^= 0x40;
		CHECKF(trn_ckpt_read("f.kckpt", &k, &err) < 0, "flip at %zu accepted", at);
	}
	free(buf);
	trn_model_free(m);
	trn_model_free(m2);
}

/* ---- thread-count independence ------------------------------------------------------ */

#if KILN_HAVE_OPENMP
#include <omp.h>
#endif

/* Gradients and one Muon step must be bit-identical with 1 and 2 threads
 * (shapes big enough that the kernels really split the work); without
 * OpenMP, two runs must simply agree. */
TEST(threads_do_not_change_results)
{
	trn_model_config mc = { .n_layer = 1, .width = 128, .n_head = 4, .ctx = 128, .vocab = 300, .mlp = 4,
	                        .pos = TRN_POS_ROPE, .tie = 0, .rope_theta = 10000, .init_std = 0.05f };
	trn_stage st = { .opt = TRN_OPT_MUON, .lr = 1e-3f, .muon_lr = 0.02f, .beta1 = 0.9f, .beta2 = 0.95f,
	                 .eps = 1e-8f, .muon_momentum = 0.95f, .ns_steps = 5, .grad_clip = 1.0f, .steps = 1,
	                 .sched = TRN_SCHED_CONSTANT };
	float *res[2];
#if KILN_HAVE_OPENMP
	int saved = omp_get_max_threads();
#endif
	for (int r = 0; r < 2; r++) {
#if KILN_HAVE_OPENMP
		omp_set_num_threads(r + 1);
#endif
		trn_model *m;
		trn_error err;
		CHECK(trn_model_create(&mc, &m, &err) == 0);
		trn_model_init(m, 77);
		trn_batch b;
		CHECK(trn_batch_alloc(&b, 2, 128) == 0);
		uint64_t rng = 3;
		for (int i = 0; i < 256; i++) {
			b.tok[i] = (uint32_t)(test_rand(&rng) % 300);
			b.tgt[i] = (uint32_t)(test_rand(&rng) % 300);
			b.w[i] = 1;
			b.pos[i] = i % 128;
		}
		float loss;
		trn_optim o;
		CHECK(trn_optim_alloc(&o, trn_model_nparams(m)) == 0);
		trn_model_zero_grad(m);
		CHECK(trn_model_forward(m, &b, &loss, &err) == 0);
		CHECK(trn_model_backward(m, 1, &err) == 0);
		CHECK(trn_optim_step(&o, m, &st, 1, NULL, &err) == 0);
		size_t n = trn_model_nparams(m);
		res[r] = malloc(2 * n * sizeof(float));
		memcpy(res[r], trn_model_grads(m), n * 4);
		memcpy(res[r] + n, trn_model_params(m), n * 4);
		if (r == 1)
			CHECK_MEM(res[0], res[1], 2 * n * 4);
		trn_optim_free(&o);
		trn_batch_free(&b);
		trn_model_free(m);
	}
#if KILN_HAVE_OPENMP
	omp_set_num_threads(saved);
#endif
	free(res[0]);
	free(res[1]);
}

TEST(dot_orders_agree)
{
	/* the matmul backward's fallback (strided) must give the transposed path's bits */
	enum { R = 37, S = 5 };
	float a[R], b[R * S], bt[R];
	uint64_t rng = 21;
	fill(a, R, &rng, 1);
	fill(b, R * S, &rng, 1);
	for (int s = 0; s < S; s++) {
		for (int i = 0; i < R; i++)
			bt[i] = b[i * S + s];
		float x = trn_dot(a, bt, R), y = trn_dot_strided(a, b + s, S, R);
		CHECK_MEM(&x, &y, sizeof x);
	}
}
