/*
 * trn_sched.c - learning-rate schedules: linear warmup, then cosine, linear,
 * constant or WSD (warmup-stable-decay: flat, then a linear decay over the
 * last `decay` fraction of the stage). Each stage has its own schedule and
 * counts its steps from 0.
 */
#include <math.h>

#include "train_internal.h"

float trn_lr_mult(const trn_stage *s, int64_t step)
{
	if (s->warmup > 0 && step < s->warmup)
		return (float)(step + 1) / (float)s->warmup;
	int64_t span = s->steps - s->warmup;
	double frac = span > 1 ? (double)(step - s->warmup) / (double)(span - 1) : 1.0;
	if (frac < 0) frac = 0;
	if (frac > 1) frac = 1;
	double lo = s->min_lr;
	switch (s->sched) {
	case TRN_SCHED_CONSTANT:
		return 1.0f;
	case TRN_SCHED_LINEAR:
		return (float)(1.0 - (1.0 - lo) * frac);
	case TRN_SCHED_WSD: {
		double start = 1.0 - s->decay;   /* decay phase begins here */
		if (frac <= start || s->decay <= 0)
			return 1.0f;
		return (float)(1.0 - (1.0 - lo) * (frac - start) / s->decay);
	}
	case TRN_SCHED_COSINE:
	default:
		return (float)(lo + (1.0 - lo) * 0.5 * (1.0 + cos(M_PI * frac)));
	}
}
