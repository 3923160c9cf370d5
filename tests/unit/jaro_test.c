/*
 * jaro_test.c - the linear-time Jaro-Winkler against the textbook O(n*w)
 * algorithm (bit-for-bit equal results), published values, the histogram
 * bound (never below the exact value) and the pruned max search against a
 * brute-force maximum.
 */
#include "test.h"
#include "swf_jaro.h"

#include <stdlib.h>

static double jw(const char *a, const char *b)
{
	return swf_jaro_winkler((const uint8_t *)a, strlen(a), (const uint8_t *)b, strlen(b));
}

TEST(published_values)
{
	/* Winkler (1990) / Wikipedia examples. */
	CHECK_NEAR(swf_jaro((const uint8_t *)"MARTHA", 6, (const uint8_t *)"MARHTA", 6), 0.944444, 1e-6);
	CHECK_NEAR(jw("MARTHA", "MARHTA"), 0.961111, 1e-6);
	CHECK_NEAR(jw("DWAYNE", "DUANE"), 0.84, 1e-6);
	CHECK_NEAR(jw("DIXON", "DICKSONX"), 0.813333, 1e-6);
	CHECK_NEAR(jw("abc", "abc"), 1.0, 0);
	CHECK_NEAR(jw("abc", "xyz"), 0.0, 0);
	CHECK_NEAR(jw("", ""), 1.0, 0);
	CHECK_NEAR(jw("a", ""), 0.0, 0);
	/* Window 0 for length 2 and 3: "ab" vs "ba" has no match. */
	CHECK_NEAR(jw("ab", "ba"), 0.0, 0);
}

static void random_string(uint64_t *seed, uint8_t *s, size_t n, unsigned alphabet)
{
	for (size_t i = 0; i < n; i++) s[i] = (uint8_t)(test_rand(seed) % alphabet);
}

/* b = a with random edits: substitutions, insertions, deletions, swaps. */
static size_t mutate(uint64_t *seed, const uint8_t *a, size_t n, uint8_t *b, unsigned alphabet, unsigned rate)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned r = (unsigned)(test_rand(seed) % 100);
		if (r < rate) b[k++] = (uint8_t)(test_rand(seed) % alphabet);          /* substitute */
		else if (r < 2 * rate) { b[k++] = a[i]; b[k++] = (uint8_t)(test_rand(seed) % alphabet); }  /* insert */
		else if (r < 3 * rate) continue;                                         /* delete */
		else if (r < 4 * rate && i + 1 < n) { b[k++] = a[i + 1]; b[k++] = a[i]; i++; }  /* swap */
		else b[k++] = a[i];
	}
	return k;
}

TEST(fast_equals_naive)
{
	uint64_t seed = 12345;
	static const unsigned alphabets[] = { 1, 2, 3, 4, 16, 256 };
	uint8_t *a = malloc(4096), *b = malloc(8192);
	int pairs = 0;
	for (int it = 0; it < 3000; it++) {
		unsigned alpha = alphabets[it % 6];
		size_t n1 = test_rand(&seed) % (it < 2000 ? 40 : 1500), n2;
		random_string(&seed, a, n1, alpha);
		if (it % 3 == 0) { n2 = test_rand(&seed) % 1500; random_string(&seed, b, n2, alpha); }
		else n2 = mutate(&seed, a, n1, b, alpha, (unsigned)(1 + test_rand(&seed) % 20));
		double fast = swf_jaro_winkler(a, n1, b, n2), slow = swf_jaro_winkler_naive(a, n1, b, n2);
		CHECKF(fast == slow, "pair %d (alphabet %u, %zu vs %zu bytes): fast %.17g naive %.17g", it, alpha, n1, n2, fast, slow);
		CHECK(fast >= 0 && fast <= 1);
		uint32_t ha[256] = { 0 }, hb[256] = { 0 };
		for (size_t i = 0; i < n1; i++) ha[a[i]]++;
		for (size_t i = 0; i < n2; i++) hb[b[i]]++;
		double bound = swf_jaro_winkler_bound(a, n1, ha, b, n2, hb);
		CHECKF(bound + 1e-12 >= fast, "bound %.17g below exact %.17g", bound, fast);
		pairs++;
	}
	CHECK_EQ_U64(pairs, 3000);
	free(a);
	free(b);
}

TEST(set_max_equals_brute_force)
{
	uint64_t seed = 777;
	enum { N = 60, Q = 25 };
	uint8_t *str[N];
	size_t len[N];
	uint8_t base[600];
	random_string(&seed, base, sizeof base, 256);
	swf_jw_set *s = swf_jw_set_create();
	CHECK(s != NULL);
	for (int i = 0; i < N; i++) {
		str[i] = malloc(1400);
		/* Families of near-copies, plus unrelated strings and duplicates. */
		if (i % 7 == 6) { len[i] = len[i - 1]; memcpy(str[i], str[i - 1], len[i]); }
		else if (i % 3 == 0) { len[i] = test_rand(&seed) % 700; random_string(&seed, str[i], len[i], 256); }
		else len[i] = mutate(&seed, base, sizeof base, str[i], 256, (unsigned)(i % 15 + 1));
		CHECK(swf_jw_set_add(s, str[i], len[i]) == 0);
	}
	uint64_t exact_total = 0;
	for (int qi = 0; qi < Q; qi++) {
		uint8_t q[1400];
		size_t nq = qi % 5 == 4 ? test_rand(&seed) % 50 : mutate(&seed, base, sizeof base, q, 256, (unsigned)(qi % 10 + 1));
		if (qi % 5 == 4) random_string(&seed, q, nq, 256);
		double best = -1;
		size_t best_i = 0;
		for (int i = 0; i < N; i++) {
			double v = swf_jaro_winkler_naive(q, nq, str[i], len[i]);
			if (v > best) { best = v; best_i = (size_t)i; }
		}
		swf_jw_result r;
		CHECK(swf_jw_set_max(s, q, nq, &r) == 0);
		CHECKF(r.best == best && r.best_index == best_i, "query %d: pruned %.17g @%zu, brute force %.17g @%zu",
		       qi, r.best, r.best_index, best, best_i);
		exact_total += r.exact;
	}
	/* The bounds must actually prune something on near-copy families. */
	CHECKF(exact_total < (uint64_t)N * Q, "no pruning: %llu exact evaluations", (unsigned long long)exact_total);
	for (int i = 0; i < N; i++) free(str[i]);
	swf_jw_set_free(s);
}
