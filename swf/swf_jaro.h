/*
 * swf_jaro.h - exact Jaro-Winkler similarity of byte strings, fast, and the
 * "max similarity to any training file" search of ByteCraft's evaluation.
 * Part of libswf (the evaluation judges generated SWF files); no SWF parsing
 * here. Definitions are in man/kiln-swf.1, section EVALUATION.
 */
#ifndef KILN_SWF_JARO_H
#define KILN_SWF_JARO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Jaro similarity with the textbook greedy matching: match window
 * w = max(n1, n2) / 2 - 1 (at least 0); for i = 0..n1-1, a[i] matches the
 * first not yet matched b[j] with b[j] == a[i] and |i - j| <= w; m matches,
 * t = half the matched pairs out of order; jaro = (m/n1 + m/n2 + (m-t)/m)/3,
 * 0 when m = 0; both strings empty gives 1, one empty gives 0.
 * Winkler: with l = common prefix length (at most 4) and jaro > 0.7,
 * jw = jaro + 0.1 * l * (1 - jaro); otherwise jw = jaro.
 *
 * Exact in O(n1 + n2 + 256) time and O(n1 + n2) memory. Returns a negative
 * value only when memory runs out.
 */
double swf_jaro(const uint8_t *a, size_t n1, const uint8_t *b, size_t n2);
double swf_jaro_winkler(const uint8_t *a, size_t n1, const uint8_t *b, size_t n2);

/* The same definition computed the textbook way, O(n1 * w): the reference
 * the fast version is tested and benchmarked against. */
double swf_jaro_winkler_naive(const uint8_t *a, size_t n1, const uint8_t *b, size_t n2);

/* An upper bound on swf_jaro_winkler(a, b) from the lengths, the byte
 * histograms (m <= sum over bytes of min(count_a, count_b)) and the common
 * prefix. O(256). */
double swf_jaro_winkler_bound(const uint8_t *a, size_t n1, const uint32_t hist_a[256],
                              const uint8_t *b, size_t n2, const uint32_t hist_b[256]);

/*
 * A set of reference strings (the training files) to search for the most
 * similar one. Strings are borrowed (e.g. records of a mapped dataset) and
 * must stay valid while the set is used. Searches may run concurrently.
 */
typedef struct swf_jw_set swf_jw_set;
swf_jw_set *swf_jw_set_create(void);                 /* NULL on OOM */
void swf_jw_set_free(swf_jw_set *s);                 /* NULL ok */
int swf_jw_set_add(swf_jw_set *s, const uint8_t *data, size_t n);   /* 0 or -1 (OOM) */
size_t swf_jw_set_size(const swf_jw_set *s);

typedef struct swf_jw_result {
	double best;          /* max Jaro-Winkler over the set (0 if the set is empty) */
	size_t best_index;    /* smallest index reaching it */
	uint64_t exact;       /* exact evaluations the bounds did not prune */
} swf_jw_result;

/* Exact maximum of swf_jaro_winkler(q, s_i) over the set: candidates are
 * taken in decreasing order of their bound and the search stops when no
 * bound can beat the best so far. Returns 0, or -1 on OOM. */
int swf_jw_set_max(const swf_jw_set *s, const uint8_t *q, size_t nq, swf_jw_result *res);

#ifdef __cplusplus
}
#endif
#endif
