/*
 * trn_rand.c - the trainer's one random-number generator (splitmix64), used
 * for initialisation, shuffling and sampling. The state is a plain uint64_t
 * owned by the caller, so a checkpoint can store it and a run can replay it.
 */
#include <math.h>

#include "train_internal.h"

uint64_t trn_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t trn_rand(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ull;
	uint64_t x = *state;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

double trn_rand_unit(uint64_t *state)
{
	return (double)(trn_rand(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* Box-Muller; one draw per call keeps the sequence simple to reproduce. */
float trn_rand_normal(uint64_t *state)
{
	double u1 = trn_rand_unit(state), u2 = trn_rand_unit(state);
	if (u1 < 1e-300)
		u1 = 1e-300;
	return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}
