/*
 * trn_run.c - the training loop: for each stage, micro-batches from the
 * loader, forward, backward, an optimizer step at the scheduled rate, then
 * validation and checkpoints at their intervals. Everything that decides
 * the next step (weights, optimizer state, stage, step, data position) is
 * in the checkpoint, which is why a resumed run matches an unbroken one.
 */
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

/* Mean loss over val_batches batches from the start of the held-out set. */
static int validate(const trn_backend_ops *ops, trn_model *m, trn_data *val, const trn_config *c, trn_batch *b,
                    float *out, trn_error *err)
{
	trn_data_pos start = { 0, 0, 0 };
	int rc = trn_data_seek(val, start, err);
	double sum = 0;
	for (int64_t i = 0; !rc && i < c->val_batches; i++) {
		float loss;
		if (!(rc = trn_data_next(val, b, err)) && !(rc = ops->forward(m, b, &loss, err)))
			sum += loss;
	}
	*out = (float)(sum / (double)c->val_batches);
	return rc;
}

/* The state to store after `step` steps of stage s: a finished stage is
 * stored as the start of the next, so resuming there resets the optimizer
 * exactly as the unbroken run does. */
static void state_at(const trn_config *c, int s, int64_t step, trn_ckpt_state *st)
{
	st->done = 0;
	if (step >= c->stages[s].steps) {
		if (s + 1 < c->n_stages) {
			s++;
			step = 0;
		} else {
			st->done = 1;
		}
	}
	st->stage = s;
	st->step = step;
}

int trn_run(const trn_config *c, trn_data *train, trn_data *val, const trn_ckpt *resume, int64_t stop_after,
            const trn_run_hooks *h, trn_error *err)
{
	trn_model *m = NULL;
	trn_optim o = { 0 };
	trn_batch b = { 0 }, vb = { 0 };
	trn_ckpt_state st = { 0 };
	const trn_backend_ops *ops = trn_backend_get(c->backend);
	if (!ops)
		return trn_seterr(err, TRN_ENOTBUILT, "backend %s is not available: %s",
		                  c->backend == TRN_BACKEND_CUDA ? "cuda" : "?", trn_backend_error(c->backend));
	int rc = trn_model_create(&c->model, &m, err);
	if (rc)
		return rc;
	if (trn_optim_alloc(&o, trn_model_nparams(m))) {
		rc = trn_seterr(err, TRN_ENOMEM, "out of memory for the optimizer state");
		goto out;
	}
	trn_data_get_info(train, &st.info);
	st.data_id = trn_data_identity(train);
	if (resume) {
		const trn_ckpt_state *rs = trn_ckpt_state_of(resume);
		if ((rc = trn_ckpt_load(resume, m, &o, err)) || (rc = trn_data_seek(train, rs->data, err)))
			goto out;
		st = *rs;
		trn_data_get_info(train, &st.info);
		st.data_id = trn_data_identity(train);   /* an old checkpoint gets it from now on */
		/* "done" was said of the config that wrote it: stages added since
		 * (or a longer last stage) are still to run */
		state_at(c, st.stage, st.step, &st);
		if (st.done)
			goto out;   /* nothing left to do */
		/* the checkpoint is where the caller asked to stop: a step more
		 * would go past it */
		if (stop_after > 0 && st.gstep >= stop_after) {
			rc = TRN_STOPPED;
			goto out;
		}
	} else {
		trn_model_init(m, c->seed);
	}
	for (int s = st.stage; s < c->n_stages; s++) {
		const trn_stage *sg = &c->stages[s];
		int64_t step = s == st.stage ? st.step : 0;
		if (step == 0)
			trn_optim_reset(&o);   /* each stage starts its optimizer afresh */
		trn_batch_free(&b);
		if (trn_batch_alloc(&b, sg->batch, sg->ctx) || (val && trn_batch_alloc(&vb, sg->batch, sg->ctx))) {
			rc = trn_seterr(err, TRN_ENOMEM, "out of memory for a %d x %d batch", sg->batch, sg->ctx);
			goto out;
		}
		for (; step < sg->steps; step++) {
			trn_model_zero_grad(m);
			double lsum = 0;
			for (int a = 0; a < sg->accum; a++) {
				float loss;
				if ((rc = trn_data_next(train, &b, err)) || (rc = ops->forward(m, &b, &loss, err)) ||
				    (rc = ops->backward(m, 1.0f / (float)sg->accum, err)))
					goto out;
				lsum += loss;
				st.tokens += (int64_t)sg->batch * sg->ctx;
			}
			float mult = trn_lr_mult(sg, step);
			trn_step_info info = { s, sg->name, step + 1, st.gstep + 1, st.tokens, (float)(lsum / sg->accum),
			                       sg->lr * mult, 0 };
			if ((rc = ops->step(&o, m, sg, mult, &info.grad_norm, err)))
				goto out;
			st.gstep++;
			state_at(c, s, step + 1, &st);
			st.data = trn_data_tell(train);
			if (h && h->on_step && (rc = h->on_step(h->ud, &info)))
				goto out;
			if (val && c->val_every > 0 && (st.gstep % c->val_every == 0 || (st.done && step + 1 == sg->steps))) {
				float vl;
				if ((rc = validate(ops, m, val, c, &vb, &vl, err)))
					goto out;
				if (h && h->on_val && (rc = h->on_val(h->ud, &info, vl)))
					goto out;
			}
			int stop = stop_after > 0 && st.gstep >= stop_after;
			int due = (c->ckpt_every > 0 && st.gstep % c->ckpt_every == 0) || step + 1 == sg->steps || stop;
			if (due && ops->sync_to_host && (rc = ops->sync_to_host(m, &o, err)))
				goto out;
			if (due && h && h->save && (rc = h->save(h->ud, c, &st, m, &o)))
				goto out;
			if (stop && !st.done) {
				rc = TRN_STOPPED;
				goto out;
			}
		}
		trn_batch_free(&vb);
	}
out:
	trn_batch_free(&b);
	trn_batch_free(&vb);
	trn_optim_free(&o);
	trn_model_free(m);
	return rc;
}
