/*
 * train_cuda_test.c - the CUDA backend against the CPU reference (issue 8):
 * built only when nvcc was found, skipped where no GPU is present.
 *
 * Same model, same initial weights, same batches (packed segments, masked
 * positions): the loss and every gradient of one forward/backward, then
 * the losses of 20 optimizer steps with AdamW and with Muon, must agree.
 * Both sides compute in fp32; the GPU sums in another order (cuBLAS,
 * atomics), so the bounds are relative to each tensor's largest value.
 */
#include <math.h>
#include <stdlib.h>

#include "test.h"
#include "train_internal.h"

static const trn_backend_ops *cuda(void)
{
	const trn_backend_ops *ops = trn_backend_get(TRN_BACKEND_CUDA);
	if (!ops)
		SKIP("%s", trn_backend_error(TRN_BACKEND_CUDA));
	return ops;
}

static trn_model_config tiny(int pos)
{
	trn_model_config c = { 0 };
	c.n_layer = 2;
	c.width = 64;
	c.n_head = 4;
	c.ctx = 32;
	c.vocab = 97;
	c.mlp = 4;
	c.pos = pos;
	c.tie = pos == TRN_POS_ROPE;
	c.rope_theta = 10000.0f;
	c.grid_width = pos == TRN_POS_SIN2D ? 5 : 0;
	c.grid_prefix = pos == TRN_POS_SIN2D ? 3 : 0;
	c.init_std = 0.05f;
	return c;
}

/* Rows of two documents each; the first position of every row is masked. */
static void fill(trn_batch *b, int V, uint64_t *rng)
{
	for (int r = 0; r < b->B; r++) {
		int cut = 5 + (int)(test_rand(rng) % (uint64_t)(b->T - 10));
		for (int t = 0; t < b->T; t++) {
			int n = r * b->T + t, start = t < cut ? 0 : cut;
			b->tok[n] = (uint32_t)(test_rand(rng) % (uint64_t)V);
			b->tgt[n] = (uint32_t)(test_rand(rng) % (uint64_t)V);
			b->w[n] = t == 0 ? 0.0f : 1.0f;
			b->seg[n] = start;
			b->pos[n] = t - start;
		}
	}
}

static double max_abs(const float *x, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(x[i]) > m)
			m = fabs(x[i]);
	return m;
}

static void one_pass(int pos)
{
	const trn_backend_ops *gpu = cuda(), *cpu = trn_backend_get(TRN_BACKEND_CPU);
	trn_model_config c = tiny(pos);
	trn_model *a, *g;
	trn_error err;
	CHECK(trn_model_create(&c, &a, &err) == TRN_OK);
	CHECK(trn_model_create(&c, &g, &err) == TRN_OK);
	trn_model_init(a, 7);
	trn_model_init(g, 7);
	trn_batch b;
	CHECK(trn_batch_alloc(&b, 3, 32) == TRN_OK);
	uint64_t rng = 11;
	fill(&b, c.vocab, &rng);
	float la, lg;
	CHECK(cpu->forward(a, &b, &la, &err) == TRN_OK);
	CHECK(cpu->backward(a, 1.0f, &err) == TRN_OK);
	int rc = gpu->forward(g, &b, &lg, &err);
	if (rc && strstr(err.msg, "no CUDA device"))
		SKIP("%s", err.msg);
	CHECKF(rc == TRN_OK, "cuda forward: %s", err.msg);
	CHECKF(gpu->backward(g, 1.0f, &err) == TRN_OK, "cuda backward: %s", err.msg);
	CHECKF(trn_cuda_grads_to_host(g, &err) == TRN_OK, "%s", err.msg);
	CHECK_NEAR(la, lg, 1e-5 * fabs(la) + 1e-6);
	for (int k = 0; k < trn_model_ntensors(a); k++) {
		const trn_tensor *t = trn_model_tensor(a, k);
		size_t n = (size_t)t->rows * t->cols;
		const float *ga = trn_model_grads(a) + t->offset, *gg = trn_model_grads(g) + t->offset;
		double scale = max_abs(ga, n), worst = 0;
		for (size_t i = 0; i < n; i++)
			if (fabs(ga[i] - gg[i]) > worst)
				worst = fabs(ga[i] - gg[i]);
		CHECKF(worst <= 1e-4 * scale + 1e-7, "gradient of %s: max |cpu - cuda| %.3g, max |cpu| %.3g",
		       t->name, worst, scale);
	}
	trn_batch_free(&b);
	trn_model_free(a);
	trn_model_free(g);
}

TEST(grads_rope_tied) { one_pass(TRN_POS_ROPE); }
TEST(grads_sin2d_untied) { one_pass(TRN_POS_SIN2D); }

/* 20 steps of each optimizer: the loss curves stay together. */
static void curve(int opt)
{
	const trn_backend_ops *gpu = cuda(), *cpu = trn_backend_get(TRN_BACKEND_CPU);
	trn_model_config c = tiny(TRN_POS_ROPE);
	trn_config cfg;
	trn_config_defaults(&cfg);
	trn_stage s = cfg.stages[0];
	s.opt = opt;
	s.lr = 3e-3f;
	s.muon_lr = 0.02f;
	s.grad_clip = 1.0f;
	s.weight_decay = 0.01f;
	trn_model *a, *g;
	trn_optim oa, og;
	trn_error err;
	CHECK(trn_model_create(&c, &a, &err) == TRN_OK);
	CHECK(trn_model_create(&c, &g, &err) == TRN_OK);
	trn_model_init(a, 3);
	trn_model_init(g, 3);
	CHECK(trn_optim_alloc(&oa, trn_model_nparams(a)) == TRN_OK);
	CHECK(trn_optim_alloc(&og, trn_model_nparams(g)) == TRN_OK);
	trn_batch b;
	CHECK(trn_batch_alloc(&b, 4, 24) == TRN_OK);
	uint64_t rng = 5;
	fill(&b, c.vocab, &rng);   /* one batch, learnt by heart: the loss must fall */
	float first = 0, la = 0, lg = 0;
	for (int step = 0; step < 20; step++) {
		double na, ng;
		trn_model_zero_grad(a);
		CHECK(cpu->forward(a, &b, &la, &err) == TRN_OK);
		CHECK(cpu->backward(a, 1.0f, &err) == TRN_OK);
		CHECK(cpu->step(&oa, a, &s, 1.0f, &na, &err) == TRN_OK);
		int rc = gpu->forward(g, &b, &lg, &err);
		if (rc && strstr(err.msg, "no CUDA device"))
			SKIP("%s", err.msg);
		CHECKF(rc == TRN_OK, "cuda forward: %s", err.msg);
		CHECKF(gpu->backward(g, 1.0f, &err) == TRN_OK, "%s", err.msg);
		CHECKF(gpu->step(&og, g, &s, 1.0f, &ng, &err) == TRN_OK, "%s", err.msg);
		if (step == 0)
			first = la;
		CHECKF(fabs(la - lg) <= 2e-3 * fabs(la) + 1e-5, "step %d: loss cpu %.7g cuda %.7g", step, la, lg);
		CHECKF(fabs(na - ng) <= 2e-3 * na + 1e-6, "step %d: grad norm cpu %.7g cuda %.7g", step, na, ng);
	}
	CHECKF(la < 0.8 * first, "the loss did not fall: %g -> %g", first, la);
	/* the weights come back to the host for checkpoints */
	CHECK(gpu->sync_to_host(g, &og, &err) == TRN_OK);
	const float *pa = trn_model_params(a), *pg = trn_model_params(g);
	size_t n = trn_model_nparams(a);
	double worst = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(pa[i] - pg[i]) > worst)
			worst = fabs(pa[i] - pg[i]);
	/* a tenth of the largest step size, 20 times */
	double bound = 0.1 * 20 * (opt == TRN_OPT_MUON && s.muon_lr > s.lr ? s.muon_lr : s.lr);
	CHECKF(worst < bound, "weights after 20 steps differ by %g (bound %g)", worst, bound);
	CHECK(og.t == 20);
	trn_batch_free(&b);
	trn_optim_free(&oa);
	trn_optim_free(&og);
	trn_model_free(a);
	trn_model_free(g);
}

TEST(curve_adamw) { curve(TRN_OPT_ADAMW); }
TEST(curve_muon) { curve(TRN_OPT_MUON); }
