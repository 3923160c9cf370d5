/*
 * bpe_test.c - libbpe against naive references: a trainer that recounts
 * every pair of every document after each merge, and an encoder that applies
 * the merges one by one over the whole input. Both are written for
 * obviousness, not speed, and the fast code must agree with them exactly on
 * random, run-heavy, tie-heavy, single-byte and empty documents.
 */
#include "test.h"

#include "bpe.h"

#include <stdlib.h>
#include <string.h>

/* ---- naive reference ------------------------------------------------------ */

typedef struct {
	uint32_t *t;
	size_t n;
} doc;

typedef struct {
	uint8_t **bytes;   /* per id */
	uint32_t *len;
	size_t n;
} toks;

static void toks_init(toks *k, size_t cap)
{
	k->bytes = calloc(cap, sizeof *k->bytes);
	k->len = calloc(cap, sizeof *k->len);
	for (uint32_t b = 0; b < 256; b++) {
		k->bytes[b] = malloc(1);
		k->bytes[b][0] = (uint8_t)b;
		k->len[b] = 1;
	}
	k->n = 256;
}

static void toks_free(toks *k)
{
	for (size_t i = 0; i < k->n; i++) free(k->bytes[i]);
	free(k->bytes);
	free(k->len);
}

static int toks_has(const toks *k, const uint8_t *p, uint32_t n)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->len[i] == n && !memcmp(k->bytes[i], p, n)) return 1;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Merge (a, b) -> x left to right in one document. */
static void rewrite(doc *d, uint32_t a, uint32_t b, uint32_t x)
{
	size_t o = 0;
	for (size_t i = 0; i < d->n;) {
		if (i + 1 < d->n && d->t[i] == a && d->t[i + 1] == b) { d->t[o++] = x; i += 2; }
		else d->t[o++] = d->t[i++];
	}
	d->n = o;
}

/* Greedy BPE by recounting everything after every merge. */
static size_t ref_train(const uint8_t *const *data, const size_t *lens, size_t nd, uint32_t vocab,
                        uint64_t min_count, uint32_t maxlen, uint32_t *pairs)
{
	doc *d = calloc(nd ? nd : 1, sizeof *d);
	size_t total = 0;
	for (size_t i = 0; i < nd; i++) {
		d[i].t = malloc((lens[i] + 1) * sizeof *d[i].t);
		for (size_t j = 0; j < lens[i]; j++) d[i].t[j] = data[i][j];
		d[i].n = lens[i];
		total += lens[i];
	}
	toks k;
	toks_init(&k, vocab + 1);
	uint64_t *keys = malloc((total + 1) * sizeof *keys);
	size_t m = 0;
	while (256 + m < vocab) {
		size_t nk = 0;
		for (size_t i = 0; i < nd; i++)
			for (size_t j = 0; j + 1 < d[i].n; j++) keys[nk++] = (uint64_t)d[i].t[j] << 32 | d[i].t[j + 1];
		qsort(keys, nk, sizeof *keys, cmp_u64);
		uint64_t best = 0, best_count = 0;
		int found = 0;
		for (size_t j = 0; j < nk;) {
			size_t e = j;
			while (e < nk && keys[e] == keys[j]) e++;
			uint64_t c = e - j;
			uint32_t a = (uint32_t)(keys[j] >> 32), b = (uint32_t)keys[j];
			uint32_t l = k.len[a] + k.len[b];
			/* keys are ascending, so on a tie the first seen is the smallest */
			if (c >= min_count && c > best_count && (!maxlen || l <= maxlen)) {
				uint8_t *cat = malloc(l);
				memcpy(cat, k.bytes[a], k.len[a]);
				memcpy(cat + k.len[a], k.bytes[b], k.len[b]);
				if (!toks_has(&k, cat, l)) { best = keys[j]; best_count = c; found = 1; }
				free(cat);
			}
			j = e;
		}
		if (!found) break;
		uint32_t a = (uint32_t)(best >> 32), b = (uint32_t)best, x = (uint32_t)(256 + m);
		pairs[2 * m] = a;
		pairs[2 * m + 1] = b;
		k.len[x] = k.len[a] + k.len[b];
		k.bytes[x] = malloc(k.len[x]);
		memcpy(k.bytes[x], k.bytes[a], k.len[a]);
		memcpy(k.bytes[x] + k.len[a], k.bytes[b], k.len[b]);
		k.n++;
		for (size_t i = 0; i < nd; i++) rewrite(&d[i], a, b, x);
		m++;
	}
	free(keys);
	toks_free(&k);
	for (size_t i = 0; i < nd; i++) free(d[i].t);
	free(d);
	return m;
}

/* Apply each merge in rank order over the whole input. */
static size_t ref_encode(const uint32_t *pairs, size_t nm, const uint8_t *in, size_t n, uint32_t *out)
{
	doc d = { out, n };
	for (size_t i = 0; i < n; i++) out[i] = in[i];
	for (size_t k = 0; k < nm; k++) rewrite(&d, pairs[2 * k], pairs[2 * k + 1], (uint32_t)(256 + k));
	return d.n;
}

/* ---- helpers -------------------------------------------------------------- */

typedef struct {
	uint8_t **data;
	size_t *lens;
	size_t n;
} corpus;

static void corpus_free(corpus *c)
{
	for (size_t i = 0; i < c->n; i++) free(c->data[i]);
	free(c->data);
	free(c->lens);
}

/* Random documents over a small alphabet, with runs, empties and 1-byte docs. */
static corpus gen(uint64_t *rs, size_t ndocs, size_t maxlen, int alpha)
{
	corpus c = { calloc(ndocs, sizeof(uint8_t *)), calloc(ndocs, sizeof(size_t)), ndocs };
	for (size_t i = 0; i < ndocs; i++) {
		uint64_t kind = test_rand(rs) % 8;
		size_t len = kind == 0 ? 0 : kind == 1 ? 1 : (size_t)(test_rand(rs) % (maxlen + 1));
		c.data[i] = malloc(len + 1);
		c.lens[i] = len;
		uint8_t base = (uint8_t)(test_rand(rs) % 3 == 0 ? 0 : 'a');
		for (size_t j = 0; j < len;) {
			uint8_t s = (uint8_t)(base + test_rand(rs) % (uint64_t)alpha);
			size_t run = test_rand(rs) % 4 == 0 ? 1 + test_rand(rs) % 12 : 1;
			for (size_t r = 0; r < run && j < len; r++) c.data[i][j++] = s;
		}
	}
	return c;
}

static bpe_corpus *to_corpus(const corpus *c)
{
	bpe_corpus *bc;
	CHECK(bpe_corpus_create(0, 0, &bc) == BPE_OK);
	for (size_t i = 0; i < c->n; i++) CHECK(bpe_corpus_add(bc, c->data[i], c->lens[i]) == BPE_OK);
	return bc;
}

static size_t fast_train(const corpus *c, uint32_t vocab, uint64_t min_count, uint32_t maxlen,
                         int threads, uint64_t gc_slack, uint32_t **pairs, bpe_train_stats *st)
{
	bpe_corpus *bc = to_corpus(c);
	bpe_train_opts o = { .vocab_size = vocab, .min_count = min_count, .max_token_bytes = maxlen,
	                     .threads = threads, .gc_slack = gc_slack };
	size_t n;
	bpe_error err;
	int rc = bpe_train(bc, &o, pairs, &n, st, &err);
	CHECKF(rc == BPE_OK, "bpe_train: %s", err.msg);
	bpe_corpus_free(bc);
	return n;
}

static void check_same(const uint32_t *want, size_t nw, const uint32_t *got, size_t ng, const char *what)
{
	for (size_t k = 0; k < nw && k < ng; k++)
		CHECKF(want[2 * k] == got[2 * k] && want[2 * k + 1] == got[2 * k + 1],
		       "%s: merge %zu: reference (%u %u), fast (%u %u)", what, k, want[2 * k], want[2 * k + 1],
		       got[2 * k], got[2 * k + 1]);
	CHECKF(nw == ng, "%s: reference made %zu merges, fast %zu", what, nw, ng);
}

/* ---- training against the reference -------------------------------------- */

TEST(train_random_matches_reference)
{
	uint64_t rs = 42;
	for (int iter = 0; iter < 150; iter++) {
		int alpha = 1 + (int)(test_rand(&rs) % 5);
		corpus c = gen(&rs, 1 + test_rand(&rs) % 12, 1 + test_rand(&rs) % 300, alpha);
		uint32_t vocab = 256 + (uint32_t)(test_rand(&rs) % 120);
		uint64_t minc = 1 + test_rand(&rs) % 3;
		uint32_t maxlen = test_rand(&rs) % 3 == 0 ? (uint32_t)(1 + test_rand(&rs) % 6) : 0;
		uint32_t *want = malloc(2 * (vocab - 256 + 1) * sizeof *want), *got;
		size_t nw = ref_train((const uint8_t *const *)c.data, c.lens, c.n, vocab, minc, maxlen, want);
		size_t ng = fast_train(&c, vocab, minc, maxlen, 1, iter % 2 ? 1 : 0, &got, NULL);
		char what[96];
		snprintf(what, sizeof what, "case %d (alpha %d, min %llu, maxlen %u)", iter, alpha,
		         (unsigned long long)minc, maxlen);
		check_same(want, nw, got, ng, what);
		free(want);
		free(got);
		corpus_free(&c);
	}
}

TEST(train_runs_and_ties)
{
	/* Runs of one byte of every length 0..40 (overlap rules), alternating
	 * patterns (ties everywhere) and documents of single bytes. */
	corpus c = { calloc(64, sizeof(uint8_t *)), calloc(64, sizeof(size_t)), 0 };
	for (size_t len = 0; len <= 40; len++) {
		c.data[c.n] = malloc(len + 1);
		memset(c.data[c.n], 'a', len);
		c.lens[c.n++] = len;
	}
	const char *pats[] = { "abababababababab", "abcabcabcabcabc", "aabbaabbaabb", "x", "", "y", "zzzzzzzzz",
	                       "abababababaaaaabbbbb", "ba", "ab" };
	for (size_t i = 0; i < sizeof pats / sizeof *pats; i++) {
		size_t l = strlen(pats[i]);
		c.data[c.n] = malloc(l + 1);
		memcpy(c.data[c.n], pats[i], l);
		c.lens[c.n++] = l;
	}
	for (uint64_t minc = 1; minc <= 2; minc++) {
		uint32_t want[2 * 200], *got;
		size_t nw = ref_train((const uint8_t *const *)c.data, c.lens, c.n, 456, minc, 0, want);
		size_t ng = fast_train(&c, 456, minc, 0, 1, 1, &got, NULL);
		CHECK(nw > 10);
		check_same(want, nw, got, ng, "runs");
		free(got);
	}
	/* "aaaa" alone: (a a) then (aa aa); never (a aa). */
	corpus one = { calloc(1, sizeof(uint8_t *)), calloc(1, sizeof(size_t)), 1 };
	one.data[0] = (uint8_t *)strdup("aaaa");
	one.lens[0] = 4;
	uint32_t *got;
	size_t ng = fast_train(&one, 300, 1, 0, 1, 0, &got, NULL);
	CHECK_EQ_U64(ng, 2);
	CHECK(got[0] == 'a' && got[1] == 'a' && got[2] == 256 && got[3] == 256);
	free(got);
	corpus_free(&one);
	corpus_free(&c);
}

TEST(train_empty_and_degenerate)
{
	corpus c = { calloc(3, sizeof(uint8_t *)), calloc(3, sizeof(size_t)), 3 };
	for (int i = 0; i < 3; i++) { c.data[i] = malloc(1); c.data[i][0] = 'q'; c.lens[i] = i == 1; }
	uint32_t *got;
	CHECK_EQ_U64(fast_train(&c, 1000, 1, 0, 1, 0, &got, NULL), 0);   /* no pair at all */
	free(got);
	corpus_free(&c);
	bpe_corpus *bc;
	CHECK(bpe_corpus_create(0, 0, &bc) == BPE_OK);
	size_t n;
	bpe_train_opts o = { .vocab_size = 300, .min_count = 1 };
	CHECK(bpe_train(bc, &o, &got, &n, NULL, NULL) == BPE_OK);
	CHECK_EQ_U64(n, 0);
	free(got);
	o.min_count = 0;   /* invalid */
	CHECK(bpe_train(bc, &o, &got, &n, NULL, NULL) == BPE_EINVAL);
	bpe_corpus_free(bc);
}

/* A bigger structured corpus: results must not depend on threads or on the
 * compaction schedule. */
static corpus structured(size_t ndocs, size_t len, uint64_t seed)
{
	uint64_t rs = seed;
	corpus c = { calloc(ndocs, sizeof(uint8_t *)), calloc(ndocs, sizeof(size_t)), ndocs };
	const char *words[] = { "\x00\x00\x00\x00", "\xff\xfe", "DefineShape", "\x3f\x03", "frame", "\x01\x00\x00",
	                        "abc", "PlaceObject2", "\x00" };
	for (size_t i = 0; i < ndocs; i++) {
		c.data[i] = malloc(len);
		c.lens[i] = len;
		for (size_t j = 0; j < len;) {
			uint64_t r = test_rand(&rs);
			if (r % 3 == 0) { c.data[i][j++] = (uint8_t)(r >> 8); continue; }
			const char *w = words[(r >> 16) % 9];
			size_t wl = (r >> 16) % 9 == 0 ? 4 : (r >> 16) % 9 == 8 ? 1 : strlen(w);
			for (size_t k = 0; k < wl && j < len; k++) c.data[i][j++] = (uint8_t)w[k];
		}
	}
	return c;
}

TEST(train_threads_deterministic)
{
	corpus c = structured(40, 20000, 7);
	uint32_t *p1, *p2, *p3;
	bpe_train_stats s1, s3;
	size_t n1 = fast_train(&c, 2256, 2, 0, 1, 0, &p1, &s1);
	size_t n2 = fast_train(&c, 2256, 2, 0, 4, 0, &p2, NULL);
	size_t n3 = fast_train(&c, 2256, 2, 0, 3, 1000, &p3, &s3);
	CHECK(n1 > 1000);
	check_same(p1, n1, p2, n2, "threads 1 vs 4");
	check_same(p1, n1, p3, n3, "threads 1 vs 3 with frequent compaction");
	CHECK(s3.gc_runs > s1.gc_runs);
	CHECK_EQ_U64(s1.symbols_after, s3.symbols_after);
	/* The segmentation training reached is what the encoder gives. */
	bpe_vocab *v;
	CHECK(bpe_vocab_from_merges(p1, n1, 0, &v, NULL) == BPE_OK);
	bpe_encoder *e;
	CHECK(bpe_encoder_create(v, &e) == BPE_OK);
	bpe_workspace *w = bpe_workspace_create();
	uint64_t toks = 0;
	uint32_t *ids = malloc(20000 * sizeof *ids);
	for (size_t i = 0; i < c.n; i++) {
		size_t m;
		CHECK(bpe_encode(e, w, c.data[i], c.lens[i], ids, &m) == BPE_OK);
		toks += m;
	}
	CHECK_EQ_U64(toks, s1.symbols_after);
	free(ids);
	bpe_workspace_free(w);
	bpe_encoder_free(e);
	bpe_vocab_free(v);
	free(p1); free(p2); free(p3);
	corpus_free(&c);
}

/* Resume: train k merges, replay them on a fresh corpus, continue: the same
 * merges as one uninterrupted run. */
static int stop_at;
static int stopper(void *ud, const uint32_t *pairs, size_t n, uint64_t count)
{
	(void)ud; (void)pairs; (void)count;
	return n >= (size_t)stop_at;
}

TEST(train_resume_equals_uninterrupted)
{
	corpus c = structured(10, 8000, 11);
	uint32_t *full;
	size_t nf = fast_train(&c, 1256, 2, 0, 2, 0, &full, NULL);
	CHECK(nf > 500);
	for (int k = 1; k < 3; k++) {
		stop_at = k * 300;
		bpe_corpus *bc = to_corpus(&c);
		bpe_train_opts o = { .vocab_size = 1256, .min_count = 2, .progress = stopper };
		uint32_t *part, *rest;
		size_t np, nr;
		CHECK(bpe_train(bc, &o, &part, &np, NULL, NULL) == BPE_ESTOPPED);
		CHECK_EQ_U64(np, (size_t)stop_at);
		bpe_corpus_free(bc);
		bc = to_corpus(&c);
		bpe_train_opts r = { .vocab_size = 1256, .min_count = 2, .init_pairs = part, .n_init = np };
		CHECK(bpe_train(bc, &r, &rest, &nr, NULL, NULL) == BPE_OK);
		check_same(full, nf, rest, nr, "resumed");
		bpe_corpus_free(bc);
		free(part);
		free(rest);
	}
	free(full);
	corpus_free(&c);
}

TEST(train_max_token_bytes)
{
	corpus c = structured(8, 5000, 3);
	uint32_t *p;
	size_t n = fast_train(&c, 2000, 2, 4, 1, 0, &p, NULL);
	bpe_vocab *v;
	CHECK(bpe_vocab_from_merges(p, n, 0, &v, NULL) == BPE_OK);
	CHECK(bpe_vocab_max_len(v) <= 4);
	CHECK(bpe_vocab_max_len(v) == 4);
	bpe_vocab_free(v);
	free(p);
	corpus_free(&c);
}

/* ---- encoding ------------------------------------------------------------- */

TEST(encode_matches_reference)
{
	uint64_t rs = 99;
	bpe_workspace *w = bpe_workspace_create();
	for (int iter = 0; iter < 60; iter++) {
		corpus c = gen(&rs, 6, 400, 1 + (int)(test_rand(&rs) % 4));
		uint32_t *p;
		size_t n = fast_train(&c, 256 + 80, 1, 0, 1, 0, &p, NULL);
		bpe_vocab *v;
		CHECK(bpe_vocab_from_merges(p, n, 0, &v, NULL) == BPE_OK);
		bpe_encoder *e;
		CHECK(bpe_encoder_create(v, &e) == BPE_OK);
		/* Fresh inputs from the same distribution, not only the training set. */
		corpus h = gen(&rs, 8, 500, 4);
		for (size_t i = 0; i < h.n; i++) {
			uint32_t *a = malloc((h.lens[i] + 1) * sizeof *a), *b = malloc((h.lens[i] + 1) * sizeof *b);
			size_t na, nb = ref_encode(p, n, h.data[i], h.lens[i], b);
			CHECK(bpe_encode(e, w, h.data[i], h.lens[i], a, &na) == BPE_OK);
			CHECK_EQ_U64(na, nb);
			CHECK_MEM(a, b, na * sizeof *a);
			uint8_t *back = malloc(h.lens[i] + 1);
			size_t nback;
			CHECK(bpe_decode(v, a, na, back, &nback, NULL) == BPE_OK);
			CHECK_EQ_U64(nback, h.lens[i]);
			CHECK_MEM(back, h.data[i], nback);
			free(a); free(b); free(back);
		}
		corpus_free(&h);
		bpe_encoder_free(e);
		bpe_vocab_free(v);
		free(p);
		corpus_free(&c);
	}
	bpe_workspace_free(w);
}

TEST(encode_real_files_roundtrip)
{
	const char *dir = test_corpus("swf");
	if (!dir) SKIP("../shared/corpus/swf not present");
	/* The first 40 files in name order: train on 30, round-trip all 40. */
	CHECK(test_sh("ls '%s' | grep '\\.swf$' | sort | head -40 > list.txt", dir) == 0);
	size_t ln;
	unsigned char *list = test_read_file("list.txt", &ln);
	corpus c = { calloc(40, sizeof(uint8_t *)), calloc(40, sizeof(size_t)), 0 };
	for (char *s = (char *)list, *nl; c.n < 40 && (nl = memchr(s, '\n', ln - (size_t)(s - (char *)list))); s = nl + 1) {
		*nl = 0;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, s);
		size_t n;
		c.data[c.n] = test_read_file(path, &n);
		c.lens[c.n++] = n > (1u << 20) ? 1u << 20 : n;
	}
	free(list);
	CHECK(c.n > 10);
	corpus tr = c;
	tr.n = c.n * 3 / 4;
	uint32_t *p;
	size_t n = fast_train(&tr, 256 + 2000, 2, 0, 2, 0, &p, NULL);
	CHECK(n > 100);
	bpe_vocab *v;
	CHECK(bpe_vocab_from_merges(p, n, 0, &v, NULL) == BPE_OK);
	bpe_encoder *e;
	CHECK(bpe_encoder_create(v, &e) == BPE_OK);
	bpe_workspace *w = bpe_workspace_create();
	for (size_t i = 0; i < c.n; i++) {
		uint32_t *ids = malloc((c.lens[i] + 1) * sizeof *ids);
		size_t m, nb;
		CHECK(bpe_encode(e, w, c.data[i], c.lens[i], ids, &m) == BPE_OK);
		CHECK(m <= c.lens[i]);
		if (i < 6) {   /* the slow reference on a few */
			uint32_t *ref = malloc((c.lens[i] + 1) * sizeof *ref);
			size_t nr = ref_encode(p, n, c.data[i], c.lens[i] < 20000 ? c.lens[i] : 20000, ref);
			size_t m2;
			CHECK(bpe_encode(e, w, c.data[i], c.lens[i] < 20000 ? c.lens[i] : 20000, ids, &m2) == BPE_OK);
			CHECK_EQ_U64(m2, nr);
			CHECK_MEM(ids, ref, nr * sizeof *ids);
			free(ref);
			CHECK(bpe_encode(e, w, c.data[i], c.lens[i], ids, &m) == BPE_OK);
		}
		uint8_t *back = malloc(c.lens[i] + 1);
		CHECK(bpe_decode(v, ids, m, back, &nb, NULL) == BPE_OK);
		CHECK_EQ_U64(nb, c.lens[i]);
		CHECK_MEM(back, c.data[i], nb);
		free(back);
		free(ids);
	}
	bpe_workspace_free(w);
	bpe_encoder_free(e);
	bpe_vocab_free(v);
	free(p);
	corpus_free(&c);
}

TEST(decode_rejects_bad_ids)
{
	uint32_t pairs[] = { 'a', 'b' };
	bpe_vocab *v;
	CHECK(bpe_vocab_from_merges(pairs, 1, 0, &v, NULL) == BPE_OK);
	uint32_t ids[] = { 256, 'c', 257 };
	uint8_t out[8];
	size_t n, bad = 99;
	CHECK(bpe_decode(v, ids, 3, out, &n, &bad) == BPE_ERANGE);
	CHECK_EQ_U64(bad, 2);
	CHECK(bpe_decode(v, ids, 2, out, &n, NULL) == BPE_OK);
	CHECK_EQ_U64(n, 3);
	CHECK_MEM(out, "abc", 3);
	bpe_vocab_free(v);
}

/* ---- vocabulary files ----------------------------------------------------- */

TEST(vocab_roundtrip_and_meta)
{
	uint32_t pairs[] = { 'a', 'b', 256, 'c', 'x', 'x', 258, 258 };
	bpe_vocab *v, *w;
	CHECK(bpe_vocab_from_merges(pairs, 4, 0, &v, NULL) == BPE_OK);
	CHECK_EQ_U64(bpe_vocab_size(v), 260);
	CHECK_EQ_U64(bpe_token_len(v, 259), 4);
	CHECK_MEM(bpe_token_bytes(v, 257), "abc", 3);
	const char *meta[] = { "min-count", "2", "source", "unit test" };
	char *txt;
	size_t len;
	CHECK(bpe_vocab_format(v, meta, 2, &txt, &len) == BPE_OK);
	CHECK_STR(txt, "kiln-bpe-vocab 1\nmin-count 2\nsource unit test\nmerges 4\n97 98\n256 99\n120 120\n258 258\n");
	bpe_error err;
	CHECK(bpe_vocab_parse(txt, len, 0, &w, &err) == BPE_OK);
	CHECK_EQ_U64(bpe_vocab_merges(w), 4);
	CHECK_MEM(bpe_vocab_pairs(w), pairs, sizeof pairs);
	CHECK_STR(bpe_vocab_meta(w, "source"), "unit test");
	CHECK(bpe_vocab_meta(w, "nope") == NULL);
	free(txt);
	bpe_vocab_free(v);
	bpe_vocab_free(w);
}

TEST(vocab_parse_rejects)
{
	struct { const char *text; uint64_t offset; } bad[] = {
		{ "", 0 },
		{ "kiln-bpe-vocab 2\nmerges 0\n", 0 },
		{ "kiln-bpe-vocab 1\n", 17 },
		{ "kiln-bpe-vocab 1\nmerges 1\n97 98", 17 + 9 },
		{ "kiln-bpe-vocab 1\nmerges 1\n97 98\n99 99\n", 17 + 9 + 6 },
		{ "kiln-bpe-vocab 1\nmerges 2\n97 98\n97 256\n", 17 + 9 + 6 },          /* fine? no: see below */
		{ "kiln-bpe-vocab 1\nmerges 1\n97 256\n", 17 + 9 },                   /* id not yet defined */
		{ "kiln-bpe-vocab 1\nmerges 1\n097 98\n", 17 + 9 },                   /* leading zero */
		{ "kiln-bpe-vocab 1\nmerges 1\n-1 98\n", 17 + 9 },
		{ "kiln-bpe-vocab 1\nmerges 1\n97  98\n", 17 + 9 },
		{ "kiln-bpe-vocab 1\nmerges 99999999\n97 98\n", 17 },
		{ "kiln-bpe-vocab 1\nBad key\nmerges 0\n", 17 },
		{ "kiln-bpe-vocab 1\nmerges 2\n97 98\n97 98\n", 17 + 9 + 6 },         /* the same pair twice */
		{ "kiln-bpe-vocab 1\nmerges 3\n97 98\n256 99\n98 99\n", 17 + 9 + 13 }, /* fine */
		{ "kiln-bpe-vocab 1\nmerges 4\n97 98\n256 99\n98 99\n97 258\n", 17 + 9 + 19 }, /* a+bc == abc */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		bpe_vocab *v = NULL;
		bpe_error err = { 0 };
		int rc = bpe_vocab_parse(bad[i].text, strlen(bad[i].text), 0, &v, &err);
		if (i == 5 || i == 13) {   /* the two valid ones */
			CHECKF(rc == BPE_OK, "case %zu: %s", i, err.msg);
			bpe_vocab_free(v);
			continue;
		}
		CHECKF(rc != BPE_OK && v == NULL, "case %zu accepted", i);
		CHECKF(err.offset == bad[i].offset, "case %zu: offset %llu, wanted %llu (%s)", i,
		       (unsigned long long)err.offset, (unsigned long long)bad[i].offset, err.msg);
	}
	/* A doubling chain past the byte budget is refused before allocating. */
	char big[4096];
	size_t o = (size_t)snprintf(big, sizeof big, "kiln-bpe-vocab 1\nmerges 40\n97 97\n");
	for (int k = 1; k < 40; k++) o += (size_t)snprintf(big + o, sizeof big - o, "%d %d\n", 255 + k, 255 + k);
	bpe_vocab *v = NULL;
	bpe_error err;
	CHECK(bpe_vocab_parse(big, o, 0, &v, &err) == BPE_ERANGE);
	CHECK(v == NULL);
}

TEST(export_hf_table)
{
	/* bytes_to_unicode is a bijection onto printable code points. */
	uint8_t seen[512] = { 0 };
	for (int b = 0; b < 256; b++) {
		uint32_t c = bpe_byte_to_unicode((uint8_t)b);
		CHECK(c < 512 && !seen[c]);
		seen[c] = 1;
		CHECK(c > 32 && c != 127 && c != 173 && !(c >= 128 && c < 161));
	}
	CHECK_EQ_U64(bpe_byte_to_unicode(' '), 0x120);   /* 'Ġ' */
	CHECK_EQ_U64(bpe_byte_to_unicode(0), 0x100);
	uint32_t pairs[] = { ' ', 'a', 256, 0 };
	bpe_vocab *v;
	CHECK(bpe_vocab_from_merges(pairs, 2, 0, &v, NULL) == BPE_OK);
	char *js;
	size_t n;
	CHECK(bpe_export_hf(v, 1000, &js, &n) == BPE_OK);
	CHECK(strstr(js, "\"\xc4\xa0" "a\": 1256") != NULL);
	CHECK(strstr(js, "\"\xc4\xa0" "a\xc4\x80\": 1257") != NULL);
	CHECK(strstr(js, "\"\xc4\xa0 a\"") != NULL);
	CHECK(strstr(js, "\"pre_tokenizer\": null") != NULL);
	free(js);
	bpe_vocab_free(v);
}

static uint32_t made_up_id(uint32_t i) { return i < 3 ? 'x' + i : 256 + i - 3; }   /* 'x', 'y', 'z', 256.. */

/* Vocabularies made up at random rather than trained: any earlier token may
 * pair with any, (t, t) often, so merged tokens form long runs of (a, a) whose
 * own parts were merged in any order, the case where queue order matters
 * most. Inputs are long (the queue path) and short, over three bytes. */
TEST(encode_random_vocabularies_match_reference)
{
	uint64_t rs = 5;
	bpe_workspace *w = bpe_workspace_create();
	for (int iter = 0; iter < 3000; iter++) {
		size_t nm = 1 + test_rand(&rs) % 12, n = 0;
		uint32_t p[2 * 12];
		for (size_t tries = 0; n < nm && tries < 200; tries++) {
			uint32_t nt = 3 + (uint32_t)n;
			uint32_t i = (uint32_t)(test_rand(&rs) % nt), j = test_rand(&rs) % 3 ? i : (uint32_t)(test_rand(&rs) % nt);
			p[2 * n] = made_up_id(i);
			p[2 * n + 1] = made_up_id(j);
			bpe_vocab *t;   /* kept unless its bytes are those of another token */
			if (bpe_vocab_from_merges(p, n + 1, 0, &t, NULL) != BPE_OK) continue;
			bpe_vocab_free(t);
			n++;
		}
		bpe_vocab *v;
		CHECK(bpe_vocab_from_merges(p, n, 0, &v, NULL) == BPE_OK);
		bpe_encoder *e;
		CHECK(bpe_encoder_create(v, &e) == BPE_OK);
		for (int k = 0; k < 8; k++) {
			size_t len = 1 + test_rand(&rs) % (k < 6 ? 600 : 30), o = 0;
			uint8_t *in = malloc(len);
			while (o < len) {   /* a token's bytes repeated, or a stray byte */
				uint64_t r = test_rand(&rs);
				uint32_t t = made_up_id((uint32_t)(r % (3 + n)));
				const uint8_t *tb = bpe_token_bytes(v, t);
				uint32_t tl = bpe_token_len(v, t);
				for (size_t rep = 1 + (r >> 8) % 24; rep-- && o < len;)
					for (uint32_t q = 0; q < tl && o < len; q++) in[o++] = tb[q];
				if ((r >> 16) % 5 == 0 && o < len) in[o++] = (uint8_t)('x' + (r >> 20) % 3);
			}
			uint32_t *a = malloc(len * sizeof *a), *b = malloc(len * sizeof *b);
			size_t na, nb = ref_encode(p, n, in, len, b);
			CHECK(bpe_encode(e, w, in, len, a, &na) == BPE_OK);
			CHECKF(na == nb && memcmp(a, b, na * sizeof *a) == 0, "vocabulary %d, input %d (%zu bytes): %zu ids, reference %zu",
			       iter, k, len, na, nb);
			free(a); free(b); free(in);
		}
		bpe_encoder_free(e);
		bpe_vocab_free(v);
	}
	bpe_workspace_free(w);
}

/* Inputs mixing trained words with bytes no token holds side by side: the
 * encoder cuts there into short and long segments; all must agree with the
 * reference, and so must a vocabulary where every token holds '"' or '\\'. */
TEST(encode_segments_match_reference)
{
	corpus c = structured(6, 6000, 5);
	uint32_t *p;
	size_t n = fast_train(&c, 1500, 2, 0, 1, 0, &p, NULL);
	bpe_vocab *v;
	CHECK(bpe_vocab_from_merges(p, n, 0, &v, NULL) == BPE_OK);
	bpe_encoder *e;
	CHECK(bpe_encoder_create(v, &e) == BPE_OK);
	bpe_workspace *w = bpe_workspace_create();
	uint64_t rs = 17;
	for (int iter = 0; iter < 40; iter++) {
		size_t len = 1 + test_rand(&rs) % 3000, o = 0;
		uint8_t *in = malloc(len);
		while (o < len) {
			uint64_t r = test_rand(&rs);
			if (r % 4 == 0) { in[o++] = (uint8_t)(r >> 8); continue; }   /* noise: cuts */
			const uint8_t *src = c.data[(r >> 8) % c.n];
			size_t from = (r >> 16) % 5000, k = 1 + (r >> 32) % 80;   /* trained text: long segments */
			for (size_t j = 0; j < k && o < len; j++) in[o++] = src[from + j];
		}
		uint32_t *a = malloc(len * sizeof *a), *b = malloc(len * sizeof *b);
		size_t na, nb = ref_encode(p, n, in, len, b);
		CHECK(bpe_encode(e, w, in, len, a, &na) == BPE_OK);
		CHECK_EQ_U64(na, nb);
		CHECK_MEM(a, b, na * sizeof *a);
		/* In pieces cut where bpe_encode_cut says: the same ids. */
		size_t piece = 1 + test_rand(&rs) % 200, m = 0, cuts = 0;
		for (size_t s = 0; s < len;) {
			size_t t = bpe_encode_cut(e, in, len, s + piece);
			CHECK(t > s && t <= len);
			size_t k;
			CHECK(bpe_encode(e, w, in + s, t - s, a + m, &k) == BPE_OK);
			m += k;
			cuts += t < len;
			s = t;
		}
		CHECK_EQ_U64(m, nb);
		CHECK_MEM(a, b, nb * sizeof *a);
		if (len > 1000) CHECK(cuts > 0);
		free(a); free(b); free(in);
	}
	bpe_workspace_free(w);
	bpe_encoder_free(e);
	bpe_vocab_free(v);
	free(p);
	corpus_free(&c);
}
