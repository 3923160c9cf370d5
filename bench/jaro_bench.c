/*
 * jaro_bench.c - ByteCraft's "max similarity" evaluation at scale: Q
 * generated files against N training files (default 250 x 10,000, ~50 KB
 * each), exact maximum Jaro-Winkler per generated file with histogram-bound
 * pruning and OpenMP over generated files; then the speed-up of the exact
 * linear-time Jaro-Winkler over the textbook O(n*w) algorithm on the same
 * sampled pairs (and that both agree).
 *
 * Synthetic data shaped like SWF bodies: families of files derived from a
 * template (shared low-entropy structure: tag headers, text, zero runs, plus
 * high-entropy blocks like compressed images), mutated per file. Half of the
 * generated files are near-copies of a training file (memorisation), half
 * come from templates the training set does not contain (novel output).
 *
 * Usage: jaro_bench [N_TRAIN [N_QUERY [AVG_BYTES [NAIVE_PAIRS]]]]
 */
#include "swf_jaro.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static uint64_t rng(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint8_t *make_template(uint64_t *s, size_t n)
{
	uint8_t *t = malloc(n);
	size_t i = 0;
	while (i < n) {
		size_t run = 16 + rng(s) % 2000;
		if (run > n - i) run = n - i;
		switch (rng(s) % 4) {
		case 0: for (size_t k = 0; k < run; k++) t[i + k] = (uint8_t)(rng(s)); break;              /* compressed-like */
		case 1: for (size_t k = 0; k < run; k++) t[i + k] = (uint8_t)("abcdefgh ijklmnop"[rng(s) % 17]); break;  /* text */
		case 2: memset(t + i, 0, run); break;                                                       /* zero run */
		default: for (size_t k = 0; k < run; k++) t[i + k] = (uint8_t)((k * 7 + (k >> 3)) & 0x3F); break;  /* structure */
		}
		i += run;
	}
	return t;
}

/* Copy with a mutation rate in 1/1000 per byte (substitution or insertion). */
static uint8_t *mutate(uint64_t *s, const uint8_t *src, size_t n, unsigned permille, size_t *out_n)
{
	uint8_t *d = malloc(n * 2 + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned r = (unsigned)(rng(s) % 1000);
		if (r < permille / 2) d[k++] = (uint8_t)rng(s);
		else if (r < permille) { d[k++] = src[i]; d[k++] = (uint8_t)rng(s); }
		else d[k++] = src[i];
	}
	*out_n = k;
	return d;
}

int main(int argc, char **argv)
{
	size_t ntrain = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000;
	size_t nquery = argc > 2 ? strtoull(argv[2], NULL, 10) : 250;
	size_t avg = argc > 3 ? strtoull(argv[3], NULL, 10) : 50000;
	size_t npairs = argc > 4 ? strtoull(argv[4], NULL, 10) : 4;
	uint64_t seed = 0x5EED;
	size_t nfam = ntrain / 50 + 1;
	uint8_t **tmpl = malloc((nfam * 2) * sizeof *tmpl);
	size_t *tlen = malloc((nfam * 2) * sizeof *tlen);
	for (size_t f = 0; f < nfam * 2; f++) {
		tlen[f] = avg / 2 + rng(&seed) % avg;
		tmpl[f] = make_template(&seed, tlen[f]);
	}
	uint8_t **train = malloc(ntrain * sizeof *train);
	size_t *trlen = malloc(ntrain * sizeof *trlen), total = 0;
	swf_jw_set *set = swf_jw_set_create();
	for (size_t i = 0; i < ntrain; i++) {
		size_t f = rng(&seed) % nfam;   /* training uses the first nfam templates */
		train[i] = mutate(&seed, tmpl[f], tlen[f], 5 + (unsigned)(rng(&seed) % 100), &trlen[i]);
		total += trlen[i];
		if (swf_jw_set_add(set, train[i], trlen[i])) { fprintf(stderr, "out of memory\n"); return 1; }
	}
	uint8_t **q = malloc(nquery * sizeof *q);
	size_t *qlen = malloc(nquery * sizeof *qlen);
	for (size_t i = 0; i < nquery; i++) {
		if (i % 2 == 0) { size_t t = rng(&seed) % ntrain; q[i] = mutate(&seed, train[t], trlen[t], 20, &qlen[i]); }
		else { size_t f = nfam + rng(&seed) % nfam; q[i] = mutate(&seed, tmpl[f], tlen[f], 50, &qlen[i]); }
	}
	int threads = 1;
#ifdef _OPENMP
	threads = omp_get_max_threads();
#endif
	printf("workload: %zu generated x %zu training files, training %.1f MB (mean %.1f KB), %d threads\n",
	       nquery, ntrain, total / 1e6, total / 1e3 / ntrain, threads);

	double *best = malloc(nquery * sizeof *best);
	uint64_t exact = 0;
	double t0 = now();
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : exact)
#endif
	for (size_t i = 0; i < nquery; i++) {
		swf_jw_result r;
		swf_jw_set_max(set, q[i], qlen[i], &r);
		best[i] = r.best;
		exact += r.exact;
	}
	double t_search = now() - t0;
	double mean_copy = 0, mean_novel = 0;
	for (size_t i = 0; i < nquery; i++) *(i % 2 ? &mean_novel : &mean_copy) += best[i];
	printf("max-similarity search: %.1f s wall; %llu of %zu pairs evaluated exactly (%.1f%% pruned)\n",
	       t_search, (unsigned long long)exact, nquery * ntrain, 100.0 * (1 - (double)exact / (nquery * ntrain)));
	printf("mean max similarity: near-copies %.4f, novel files %.4f\n",
	       mean_copy / ((nquery + 1) / 2), mean_novel / (nquery / 2 ? nquery / 2 : 1));

	/* Fast vs naive on the same pairs (query i vs a training file). */
	double tf = 0, tn = 0;
	int agree = 1;
	for (size_t p = 0; p < npairs; p++) {
		size_t qi = p % nquery, ti = (p * 7919) % ntrain;
		double a0 = now(), f = swf_jaro_winkler(q[qi], qlen[qi], train[ti], trlen[ti]);
		double a1 = now(), n = swf_jaro_winkler_naive(q[qi], qlen[qi], train[ti], trlen[ti]);
		double a2 = now();
		tf += a1 - a0;
		tn += a2 - a1;
		agree &= f == n;
	}
	if (npairs) {
		printf("exact linear-time vs naive Jaro-Winkler on %zu pairs: %.4f s vs %.2f s: %.0fx faster, results %s\n",
		       npairs, tf, tn, tn / tf, agree ? "identical" : "DIFFER");
		double est_naive = tn / npairs * (double)nquery * ntrain / threads;
		printf("whole search with the naive algorithm and no pruning (estimated from those pairs): %.0f s; speed-up %.0fx\n",
		       est_naive, est_naive / t_search);
	}
	return agree ? 0 : 1;
}
