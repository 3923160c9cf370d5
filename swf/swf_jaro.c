/*
 * swf_jaro.c - exact Jaro-Winkler similarity in linear time, its naive
 * reference, a histogram upper bound, and the pruned max-similarity search
 * used by ByteCraft's evaluation ("max similarity to the training set").
 *
 * Why linear time is exact: in the textbook greedy, a[i] takes the first
 * unmatched b[j] equal to it inside the window [i-w, i+w]. Only occurrences
 * of the same byte compete for a position, and the window's lower end only
 * moves right as i grows, so for each byte value the greedy is a two-pointer
 * merge of the sorted positions of that byte in a and in b: positions of b
 * left behind by the lower end can never match again, and the first one not
 * left behind is the first unmatched one. 256 merges cost O(n1 + n2) in all.
 */
#include "swf_jaro.h"

#include <stdlib.h>
#include <string.h>

/* Jaro from the match count m and the half transposition count t, written
 * once so the fast path, the naive path and the bound round identically. */
static double jaro_from(uint64_t m, uint64_t t, size_t n1, size_t n2)
{
	if (m == 0) return 0.0;
	return ((double)m / (double)n1 + (double)m / (double)n2 + (double)(m - t) / (double)m) / 3.0;
}

static size_t prefix_len(const uint8_t *a, size_t n1, const uint8_t *b, size_t n2)
{
	size_t l = 0;
	while (l < 4 && l < n1 && l < n2 && a[l] == b[l]) l++;
	return l;
}

static double winkler(double j, size_t l)
{
	return j > 0.7 ? j + 0.1 * (double)l * (1.0 - j) : j;
}

static size_t window(size_t n1, size_t n2)
{
	size_t mx = n1 > n2 ? n1 : n2;
	return mx / 2 > 0 ? mx / 2 - 1 : 0;
}

/* Half the number of positions where the matched bytes of a (in order) and
 * of b (in order) differ; integer halving, as the common implementations do. */
static uint64_t half_transpositions(const uint8_t *a, size_t n1, const uint8_t *fa,
                                    const uint8_t *b, const uint8_t *fb)
{
	uint64_t t2 = 0;
	size_t j = 0;
	for (size_t i = 0; i < n1; i++) {
		if (!fa[i]) continue;
		while (!fb[j]) j++;
		t2 += a[i] != b[j];
		j++;
	}
	return t2 / 2;
}

/* Positions of each byte value in ascending order: pos[off[c] .. off[c+1]). */
static void sort_positions(const uint8_t *s, size_t n, uint32_t *pos, uint32_t off[257])
{
	uint32_t cnt[256] = { 0 };
	for (size_t i = 0; i < n; i++) cnt[s[i]]++;
	off[0] = 0;
	for (int c = 0; c < 256; c++) off[c + 1] = off[c] + cnt[c];
	uint32_t next[256];
	memcpy(next, off, sizeof next);
	for (size_t i = 0; i < n; i++) pos[next[s[i]]++] = (uint32_t)i;
}

/* Scratch for one comparison; grown as needed and reused. */
typedef struct scratch {
	uint32_t *pos_b;
	uint8_t *fa, *fb;
	size_t cap_a, cap_b;
} scratch;

static int scratch_reserve(scratch *s, size_t n1, size_t n2)
{
	if (n1 > s->cap_a) {
		uint8_t *p = realloc(s->fa, n1);
		if (!p) return -1;
		s->fa = p;
		s->cap_a = n1;
	}
	if (n2 > s->cap_b) {
		uint8_t *p = realloc(s->fb, n2);
		uint32_t *q = p ? realloc(s->pos_b, n2 * sizeof *q) : NULL;
		if (p) s->fb = p;
		if (!q) return -1;
		s->pos_b = q;
		s->cap_b = n2;
	}
	return 0;
}

static void scratch_free(scratch *s)
{
	free(s->pos_b);
	free(s->fa);
	free(s->fb);
}

/* Jaro of a (positions pre-sorted in pos_a/off_a) against b. If the match
 * count alone shows that Jaro-Winkler (with prefix l) cannot reach cutoff,
 * the transposition pass is skipped and -1 returned (pass cutoff <= 0 to
 * always get the exact value). */
static double jaro_presorted(const uint8_t *a, size_t n1, const uint32_t *pos_a, const uint32_t off_a[257],
                             const uint8_t *b, size_t n2, scratch *s, double cutoff, size_t l)
{
	if (n1 == 0 && n2 == 0) return 1.0;
	if (n1 == 0 || n2 == 0) return 0.0;
	uint32_t off_b[257];
	sort_positions(b, n2, s->pos_b, off_b);
	memset(s->fa, 0, n1);
	memset(s->fb, 0, n2);
	size_t w = window(n1, n2);
	uint64_t m = 0;
	for (int c = 0; c < 256; c++) {
		const uint32_t *A = pos_a + off_a[c], *B = s->pos_b + off_b[c];
		size_t na = off_a[c + 1] - off_a[c], nb = off_b[c + 1] - off_b[c], p = 0;
		for (size_t k = 0; k < na && p < nb; k++) {
			size_t i = A[k], lo = i > w ? i - w : 0;
			while (p < nb && B[p] < lo) p++;
			if (p < nb && B[p] <= i + w) {
				s->fa[i] = 1;
				s->fb[B[p]] = 1;
				p++;
				m++;
			}
		}
	}
	if (m == 0) return 0.0;
	if (cutoff > 0 && winkler(jaro_from(m, 0, n1, n2), l) + 1e-12 < cutoff) return -1.0;
	return jaro_from(m, half_transpositions(a, n1, s->fa, b, s->fb), n1, n2);
}

static double jaro_once(const uint8_t *a, size_t n1, const uint8_t *b, size_t n2)
{
	if (n1 == 0 || n2 == 0) return n1 == n2 ? 1.0 : 0.0;
	scratch s = { 0 };
	uint32_t *pos_a = malloc(n1 * sizeof *pos_a), off_a[257];
	double r = -1.0;
	if (pos_a && scratch_reserve(&s, n1, n2) == 0) {
		sort_positions(a, n1, pos_a, off_a);
		r = jaro_presorted(a, n1, pos_a, off_a, b, n2, &s, 0, 0);
	}
	free(pos_a);
	scratch_free(&s);
	return r;
}

double swf_jaro(const uint8_t *a, size_t n1, const uint8_t *b, size_t n2)
{
	return jaro_once(a, n1, b, n2);
}

double swf_jaro_winkler(const uint8_t *a, size_t n1, const uint8_t *b, size_t n2)
{
	double j = jaro_once(a, n1, b, n2);
	return j < 0 ? j : winkler(j, prefix_len(a, n1, b, n2));
}

double swf_jaro_winkler_naive(const uint8_t *a, size_t n1, const uint8_t *b, size_t n2)
{
	if (n1 == 0 || n2 == 0) return n1 == n2 ? 1.0 : 0.0;
	uint8_t *fa = calloc(n1, 1), *fb = calloc(n2, 1);
	if (!fa || !fb) { free(fa); free(fb); return -1.0; }
	size_t w = window(n1, n2);
	uint64_t m = 0;
	for (size_t i = 0; i < n1; i++) {
		size_t lo = i > w ? i - w : 0, hi = i + w + 1 < n2 ? i + w + 1 : n2;
		for (size_t j = lo; j < hi; j++) {
			if (!fb[j] && a[i] == b[j]) {
				fa[i] = fb[j] = 1;
				m++;
				break;
			}
		}
	}
	double j = m ? jaro_from(m, half_transpositions(a, n1, fa, b, fb), n1, n2) : 0.0;
	free(fa);
	free(fb);
	return winkler(j, prefix_len(a, n1, b, n2));
}

double swf_jaro_winkler_bound(const uint8_t *a, size_t n1, const uint32_t ha[256],
                              const uint8_t *b, size_t n2, const uint32_t hb[256])
{
	if (n1 == 0 || n2 == 0) return n1 == n2 ? 1.0 : 0.0;
	/* Every match pairs equal bytes, so m <= sum of min counts; with t >= 0
	 * Jaro is largest when t = 0, and Winkler's boost only grows with Jaro. */
	uint64_t mmax = 0;
	for (int c = 0; c < 256; c++) mmax += ha[c] < hb[c] ? ha[c] : hb[c];
	return winkler(jaro_from(mmax, 0, n1, n2), prefix_len(a, n1, b, n2));
}

/* ---- max-similarity search ------------------------------------------- */

struct swf_jw_set {
	const uint8_t **data;
	size_t *len;
	uint32_t (*hist)[256];
	size_t n, cap, maxlen;
};

swf_jw_set *swf_jw_set_create(void) { return calloc(1, sizeof(swf_jw_set)); }

void swf_jw_set_free(swf_jw_set *s)
{
	if (!s) return;
	free(s->data);
	free(s->len);
	free(s->hist);
	free(s);
}

size_t swf_jw_set_size(const swf_jw_set *s) { return s->n; }

int swf_jw_set_add(swf_jw_set *s, const uint8_t *data, size_t n)
{
	if (n > UINT32_MAX) return -1;   /* positions are 32-bit */
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 256;
		const uint8_t **d = realloc(s->data, nc * sizeof *d);
		if (d) s->data = d;
		size_t *l = realloc(s->len, nc * sizeof *l);
		if (l) s->len = l;
		uint32_t(*h)[256] = realloc(s->hist, nc * sizeof *h);
		if (h) s->hist = h;
		if (!d || !l || !h) return -1;
		s->cap = nc;
	}
	s->data[s->n] = data;
	s->len[s->n] = n;
	memset(s->hist[s->n], 0, sizeof s->hist[s->n]);
	for (size_t i = 0; i < n; i++) s->hist[s->n][data[i]]++;
	if (n > s->maxlen) s->maxlen = n;
	s->n++;
	return 0;
}

typedef struct cand { double bound; size_t index; } cand;

static int cmp_cand(const void *x, const void *y)
{
	const cand *a = x, *b = y;
	if (a->bound != b->bound) return a->bound > b->bound ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

int swf_jw_set_max(const swf_jw_set *s, const uint8_t *q, size_t nq, swf_jw_result *res)
{
	memset(res, 0, sizeof *res);
	if (s->n == 0) return 0;
	if (nq > UINT32_MAX) return -1;
	uint32_t hq[256] = { 0 }, off_q[257];
	for (size_t i = 0; i < nq; i++) hq[q[i]]++;
	cand *c = malloc(s->n * sizeof *c);
	uint32_t *pos_q = malloc((nq ? nq : 1) * sizeof *pos_q);
	scratch sc = { 0 };
	int rc = -1;
	if (!c || !pos_q || scratch_reserve(&sc, nq, s->maxlen)) goto out;
	for (size_t i = 0; i < s->n; i++) {
		c[i].bound = swf_jaro_winkler_bound(q, nq, hq, s->data[i], s->len[i], s->hist[i]);
		c[i].index = i;
	}
	qsort(c, s->n, sizeof *c, cmp_cand);
	sort_positions(q, nq, pos_q, off_q);
	double best = -1.0;
	size_t best_i = 0;
	for (size_t k = 0; k < s->n; k++) {
		/* The slack covers rounding in the bound's arithmetic; a candidate
		 * that can only tie is still evaluated, for the smallest-index rule. */
		if (c[k].bound + 1e-12 < best) break;
		size_t i = c[k].index, l = prefix_len(q, nq, s->data[i], s->len[i]);
		double j = jaro_presorted(q, nq, pos_q, off_q, s->data[i], s->len[i], &sc, best, l);
		res->exact++;
		if (j < 0) continue;   /* its match count already rules it out */
		double jw = winkler(j, l);
		if (jw > best || (jw == best && i < best_i)) { best = jw; best_i = i; }
	}
	res->best = best;
	res->best_index = best_i;
	rc = 0;
out:
	free(c);
	free(pos_q);
	scratch_free(&sc);
	return rc;
}
