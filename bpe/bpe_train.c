/*
 * bpe_train.c - exact greedy byte-pair training at corpus scale.
 *
 * The corpus is one array of 32-bit symbols, documents separated by SEP. A
 * token covering bytes [p, p+len) keeps its id at p (the "head") and, when
 * len >= 2, the marker TAIL|len at p+len-1, so both neighbours of a token are
 * found in O(1) without link arrays (4 bytes per corpus byte). Every other
 * position holds a non-id value, so "is p a head of id a" is sym[p] == a.
 *
 * Each tracked pair owns an immutable, sorted list of positions in one arena;
 * entries go stale as neighbours merge and are dropped when the list is
 * rescanned. A pair's count can only grow in the merge that creates its newer
 * token, so its count at creation is an upper bound for ever after: a lazy
 * max-heap keyed by (count desc, left asc, right asc) pops a candidate, the
 * trainer recounts it exactly from its list, and re-pushes it when it was
 * stale. Pairs seen fewer than min_count times at creation can never become
 * eligible and are not tracked at all. The merge loop is serial (its result
 * must not depend on threads); OpenMP counts pairs and compacts lists.
 */
#include "bpe_internal.h"

#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define SEP 0xffffffffu
#define DEAD 0xfffffffeu
#define TAIL 0x80000000u

struct bpe_corpus {
	uint32_t *sym;       /* sym[0] = SEP, each document followed by SEP */
	uint64_t n, cap;     /* positions used / allocated */
	uint64_t bytes, docs;
};

int bpe_corpus_create(uint64_t reserve_bytes, uint64_t reserve_docs, bpe_corpus **out)
{
	*out = NULL;
	bpe_corpus *c = calloc(1, sizeof *c);
	if (!c) return BPE_ENOMEM;
	uint64_t cap = reserve_bytes + reserve_docs + 1;
	if (cap > BPE_MAX_CORPUS + 1) cap = BPE_MAX_CORPUS + 1;
	if (cap < 1024) cap = 1024;
	c->sym = malloc(cap * sizeof *c->sym);
	if (!c->sym) { free(c); return BPE_ENOMEM; }
	c->cap = cap;
	c->sym[0] = SEP;
	c->n = 1;
	*out = c;
	return BPE_OK;
}

int bpe_corpus_add(bpe_corpus *c, const uint8_t *data, size_t n)
{
	if (n > BPE_MAX_DOC_BYTES || c->n + n + 1 > BPE_MAX_CORPUS) return BPE_ERANGE;
	if (c->n + n + 1 > c->cap) {
		uint64_t cap = c->cap + c->cap / 2;
		if (cap < c->n + n + 1) cap = c->n + n + 1;
		if (cap > BPE_MAX_CORPUS + 1) cap = BPE_MAX_CORPUS + 1;
		uint32_t *s = realloc(c->sym, cap * sizeof *s);
		if (!s) return BPE_ENOMEM;
		c->sym = s;
		c->cap = cap;
	}
	uint32_t *d = c->sym + c->n;
	for (size_t i = 0; i < n; i++) d[i] = data[i];
	d[n] = SEP;
	c->n += n + 1;
	c->bytes += n;
	c->docs++;
	return BPE_OK;
}

uint64_t bpe_corpus_bytes(const bpe_corpus *c) { return c->bytes; }
uint64_t bpe_corpus_docs(const bpe_corpus *c) { return c->docs; }

void bpe_corpus_free(bpe_corpus *c)
{
	if (!c) return;
	free(c->sym);
	free(c);
}

/* ---- trainer state ------------------------------------------------------ */

enum { PAIR_LIVE = 0, PAIR_GONE = 1 };

typedef struct {
	uint32_t a, b;
	uint32_t n;          /* entries in the list (valid or stale) */
	uint32_t state;
	uint64_t off;        /* list start in the arena */
} pairrec;

typedef struct {
	uint64_t key;        /* a << 32 | b: ties go to the smaller key */
	uint32_t count;      /* < 2^32: a run holds fewer positions */
	uint32_t idx;
} hent;

/* Per-merge scratch: other-symbol (with side bit) -> slot, positions per slot. */
typedef struct {
	uint32_t key;        /* side << 31 | other id */
	uint32_t n, cap;
	uint32_t *pos;
} slot;

typedef struct {
	uint32_t *sym;
	uint64_t nsym;
	uint32_t *tlen;          /* token lengths, vocab_size entries */
	pairrec *pr;
	size_t npr, cappr;
	uint32_t *arena;
	uint64_t used, capa, live_after_gc;
	hent *heap;
	size_t nheap, capheap;
	/* merge scratch */
	uint32_t *ltab;          /* hash table: slot index + 1 */
	size_t lcap;
	slot *slots;
	size_t nslots, capslots;
	/* token bytes, for the distinct-bytes rule */
	uint8_t *tb;
	uint64_t *toff;
	uint64_t tused, tcap;
	bpe__tokset set;
	uint64_t min_count;
	uint32_t maxlen;         /* UINT32_MAX = no cap */
	int nt;
	bpe_train_stats st;
} trainer;

static int heap_gt(const hent *x, const hent *y)
{
	return x->count > y->count || (x->count == y->count && x->key < y->key);
}

static int heap_push(trainer *t, uint32_t count, uint32_t idx)
{
	if (t->nheap == t->capheap) {
		size_t cap = t->capheap ? t->capheap * 2 : 1 << 16;
		hent *h = realloc(t->heap, cap * sizeof *h);
		if (!h) return BPE_ENOMEM;
		t->heap = h;
		t->capheap = cap;
	}
	hent e = { (uint64_t)t->pr[idx].a << 32 | t->pr[idx].b, count, idx };
	size_t i = t->nheap++;
	while (i) {
		size_t up = (i - 1) / 2;
		if (!heap_gt(&e, &t->heap[up])) break;
		t->heap[i] = t->heap[up];
		i = up;
	}
	t->heap[i] = e;
	return BPE_OK;
}

static hent heap_pop(trainer *t)
{
	hent top = t->heap[0], e = t->heap[--t->nheap];
	size_t i = 0, n = t->nheap;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n) break;
		if (c + 1 < n && heap_gt(&t->heap[c + 1], &t->heap[c])) c++;
		if (!heap_gt(&t->heap[c], &e)) break;
		t->heap[i] = t->heap[c];
		i = c;
	}
	if (n) t->heap[i] = e;
	return top;
}

static int arena_reserve(trainer *t, uint64_t more)
{
	if (t->used + more <= t->capa) return BPE_OK;
	uint64_t cap = t->capa ? t->capa + t->capa / 2 : 1 << 20;
	if (cap < t->used + more) cap = t->used + more;
	uint32_t *a = realloc(t->arena, cap * sizeof *a);
	if (!a) return BPE_ENOMEM;
	t->arena = a;
	t->capa = cap;
	return BPE_OK;
}

static int pair_new(trainer *t, uint32_t a, uint32_t b, uint32_t n, uint64_t off)
{
	if (t->npr == t->cappr) {
		size_t cap = t->cappr ? t->cappr * 2 : 1 << 16;
		pairrec *p = realloc(t->pr, cap * sizeof *p);
		if (!p) return BPE_ENOMEM;
		t->pr = p;
		t->cappr = cap;
	}
	t->pr[t->npr++] = (pairrec){ a, b, n, PAIR_LIVE, off };
	t->st.pairs_tracked++;
	return BPE_OK;
}

/* Length of the pair (a, b) fits the cap. */
static inline int fits(const trainer *t, uint32_t a, uint32_t b)
{
	return (uint64_t)t->tlen[a] + t->tlen[b] <= t->maxlen;
}

/* Drop stale entries of pair i in place; returns the exact count. */
static uint32_t pair_recount(trainer *t, size_t i)
{
	pairrec *p = &t->pr[i];
	const uint32_t *sym = t->sym;
	uint32_t a = p->a, b = p->b, la = t->tlen[a];
	uint32_t *l = t->arena + p->off, k = 0;
	for (uint32_t j = 0; j < p->n; j++) {
		/* Sparse pairs hit a cache miss per entry: fetch well ahead. */
		if (j + 16 < p->n) __builtin_prefetch(&sym[l[j + 16]]);
		uint32_t pos = l[j];
		if (sym[pos] == a && sym[pos + la] == b) l[k++] = pos;
	}
	p->n = k;
	return k;
}

/* ---- building the pair lists ------------------------------------------- */

/* All symbols are bytes: count the 65,536 pairs per thread, then each thread
 * fills its part of every list, so the lists come out sorted. */
static int build_bytes(trainer *t)
{
	int nt = t->nt;
	uint64_t n = t->nsym;
	uint64_t *cnt = calloc((size_t)nt * 65536, sizeof *cnt);
	uint64_t *start = malloc((size_t)nt * 65536 * sizeof *start);
	uint32_t *idx = malloc(65536 * sizeof *idx);
	if (!cnt || !start || !idx) { free(cnt); free(start); free(idx); return BPE_ENOMEM; }
	const uint32_t *sym = t->sym;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
	{
		int me = 0;
#ifdef _OPENMP
		me = omp_get_thread_num();
#endif
		uint64_t lo = 1 + (n - 1) * (uint64_t)me / (uint64_t)nt, hi = 1 + (n - 1) * (uint64_t)(me + 1) / (uint64_t)nt;
		uint64_t *c = cnt + (size_t)me * 65536;
		for (uint64_t p = lo; p < hi && p + 1 < n; p++) {
			uint32_t a = sym[p], b = sym[p + 1];
			if ((a | b) < 256) c[a << 8 | b]++;
		}
	}
	uint64_t total = 0;
	int rc = BPE_OK;
	for (uint32_t k = 0; k < 65536; k++) {
		uint64_t c = 0;
		for (int m = 0; m < nt; m++) c += cnt[(size_t)m * 65536 + k];
		idx[k] = UINT32_MAX;
		if (c < t->min_count || !fits(t, k >> 8, k & 255)) continue;
		if (c > UINT32_MAX) { rc = BPE_ERANGE; break; }
		idx[k] = (uint32_t)t->npr;
		if ((rc = pair_new(t, k >> 8, k & 255, (uint32_t)c, total))) break;
		for (int m = 0; m < nt; m++) {
			start[(size_t)m * 65536 + k] = total;
			total += cnt[(size_t)m * 65536 + k];
		}
	}
	if (!rc) rc = arena_reserve(t, total);
	if (!rc) {
		uint32_t *arena = t->arena;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
		{
			int me = 0;
#ifdef _OPENMP
			me = omp_get_thread_num();
#endif
			uint64_t lo = 1 + (n - 1) * (uint64_t)me / (uint64_t)nt, hi = 1 + (n - 1) * (uint64_t)(me + 1) / (uint64_t)nt;
			uint64_t *s = start + (size_t)me * 65536;
			for (uint64_t p = lo; p < hi && p + 1 < n; p++) {
				uint32_t a = sym[p], b = sym[p + 1];
				if ((a | b) < 256 && idx[a << 8 | b] != UINT32_MAX) arena[s[a << 8 | b]++] = (uint32_t)p;
			}
		}
		t->used = total;
	}
	free(cnt);
	free(start);
	free(idx);
	return rc;
}

/* Any symbols (after replaying merges): count pairs in a hash table, then
 * fill the lists in one more pass. Serial; only resumed runs take it. */
static int build_generic(trainer *t)
{
	const uint32_t *sym = t->sym;
	uint64_t n = t->nsym, cap = 1 << 16, used = 0;
	uint64_t *key = malloc(cap * sizeof *key);
	uint64_t *val = malloc(cap * sizeof *val);
	if (!key || !val) { free(key); free(val); return BPE_ENOMEM; }
	memset(key, 0xff, cap * sizeof *key);
	int rc = BPE_OK;
	for (int pass = 0; pass < 2 && !rc; pass++) {
		for (uint64_t p = 1; p < n;) {
			uint32_t a = sym[p];
			if (a == SEP) { p++; continue; }
			uint64_t q = p + t->tlen[a];
			uint32_t b = sym[q];
			if (b != SEP) {
				uint64_t k = (uint64_t)a << 32 | b, h = (k * 0x9e3779b97f4a7c15ull) >> 20;
				uint64_t i = h & (cap - 1);
				while (key[i] != k && key[i] != UINT64_MAX) i = (i + 1) & (cap - 1);
				if (pass == 0) {
					if (key[i] == UINT64_MAX) { key[i] = k; val[i] = 0; used++; }
					val[i]++;
					if (used * 2 > cap) {   /* grow */
						uint64_t ncap = cap * 2;
						uint64_t *nk = malloc(ncap * sizeof *nk), *nv = malloc(ncap * sizeof *nv);
						if (!nk || !nv) { free(nk); free(nv); rc = BPE_ENOMEM; break; }
						memset(nk, 0xff, ncap * sizeof *nk);
						for (uint64_t j = 0; j < cap; j++) {
							if (key[j] == UINT64_MAX) continue;
							uint64_t m = ((key[j] * 0x9e3779b97f4a7c15ull) >> 20) & (ncap - 1);
							while (nk[m] != UINT64_MAX) m = (m + 1) & (ncap - 1);
							nk[m] = key[j];
							nv[m] = val[j];
						}
						free(key); free(val);
						key = nk; val = nv; cap = ncap;
					}
				} else if (val[i] != UINT64_MAX) {
					pairrec *pr = &t->pr[val[i]];
					t->arena[pr->off + pr->n++] = (uint32_t)p;
				}
			}
			p = q;
		}
		if (pass == 0 && !rc) {
			/* val becomes the pair index (or UINT64_MAX: untracked). */
			uint64_t total = 0;
			for (uint64_t j = 0; j < cap && !rc; j++) {
				if (key[j] == UINT64_MAX) continue;
				uint32_t a = (uint32_t)(key[j] >> 32), b = (uint32_t)key[j];
				uint64_t c = val[j];
				val[j] = UINT64_MAX;
				if (c < t->min_count || !fits(t, a, b)) continue;
				if (c > UINT32_MAX) { rc = BPE_ERANGE; break; }
				val[j] = t->npr;
				rc = pair_new(t, a, b, 0, total);
				total += c;
			}
			if (!rc) rc = arena_reserve(t, total);
			t->used = total;
		}
	}
	free(key);
	free(val);
	return rc;
}

/* Replay merges (resume): encode every document with them and write the
 * tokens back in the head/tail layout. */
static int replay(trainer *t, const uint32_t *pairs, size_t n_init)
{
	bpe_vocab *v;
	int rc = bpe_vocab_from_merges(pairs, n_init, 0, &v, NULL);
	if (rc) return rc;
	bpe_encoder *e;
	if ((rc = bpe_encoder_create(v, &e))) { bpe_vocab_free(v); return rc; }
	uint64_t nd = 0;
	for (uint64_t p = 0; p < t->nsym; p++) nd += t->sym[p] == SEP;
	uint64_t *ds = malloc((nd + 1) * sizeof *ds);
	if (!ds) { bpe_encoder_free(e); bpe_vocab_free(v); return BPE_ENOMEM; }
	nd = 0;
	for (uint64_t p = 0; p < t->nsym; p++) if (t->sym[p] == SEP) ds[nd++] = p;
	int bad = 0;
	uint32_t *sym = t->sym;
#ifdef _OPENMP
#pragma omp parallel num_threads(t->nt) reduction(|:bad)
#endif
	{
		bpe_workspace *w = bpe_workspace_create();
		uint8_t *buf = NULL;
		uint32_t *ids = NULL;
		size_t cap = 0;
		if (!w) bad = 1;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
		for (uint64_t d = 1; d < nd; d++) {
			if (bad) continue;
			uint64_t s = ds[d - 1] + 1, len = ds[d] - s;
			if (len > cap) {
				free(buf); free(ids);
				buf = malloc(len); ids = malloc(len * sizeof *ids);
				cap = len;
				if (!buf || !ids) { bad = 1; cap = 0; continue; }
			}
			for (uint64_t i = 0; i < len; i++) buf[i] = (uint8_t)sym[s + i];
			size_t m;
			if (bpe_encode(e, w, buf, len, ids, &m)) { bad = 1; continue; }
			uint64_t p = s;
			for (size_t i = 0; i < m; i++) {
				uint32_t l = bpe_token_len(v, ids[i]);
				sym[p] = ids[i];
				for (uint32_t j = 1; j < l; j++) sym[p + j] = DEAD;
				if (l > 1) sym[p + l - 1] = TAIL | l;
				p += l;
			}
		}
		free(buf);
		free(ids);
		bpe_workspace_free(w);
	}
	free(ds);
	bpe_encoder_free(e);
	bpe_vocab_free(v);
	return bad ? BPE_ENOMEM : BPE_OK;
}

/* ---- garbage collection: compact every live list, rebuild the heap ------- */

static int gc(trainer *t)
{
	size_t npr = t->npr;
	pairrec *pr = t->pr;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 4096) num_threads(t->nt)
#endif
	for (size_t i = 0; i < npr; i++)
		if (pr[i].state == PAIR_LIVE) pair_recount(t, i);
	/* Lists are in the arena in pair order: slide them down. */
	uint64_t dst = 0;
	t->nheap = 0;
	for (size_t i = 0; i < npr; i++) {
		pairrec *p = &pr[i];
		if (p->state != PAIR_LIVE) continue;
		if (p->n < t->min_count) { p->state = PAIR_GONE; p->n = 0; continue; }
		memmove(t->arena + dst, t->arena + p->off, (size_t)p->n * sizeof *t->arena);
		p->off = dst;
		dst += p->n;
		int rc = heap_push(t, p->n, (uint32_t)i);
		if (rc) return rc;
	}
	t->used = dst;
	t->live_after_gc = dst;
	if (t->capa > dst + dst / 4 + (1 << 20)) {
		uint64_t cap = dst + dst / 4 + (1 << 20);
		uint32_t *a = realloc(t->arena, cap * sizeof *a);
		if (a) { t->arena = a; t->capa = cap; }
	}
	t->st.gc_runs++;
	return BPE_OK;
}

/* ---- one merge ----------------------------------------------------------- */

static slot *slot_get(trainer *t, uint32_t key)
{
	size_t mask = t->lcap - 1, i = (key * 0x9e3779b1u) & mask;
	for (;; i = (i + 1) & mask) {
		uint32_t s = t->ltab[i];
		if (!s) break;
		if (t->slots[s - 1].key == key) return &t->slots[s - 1];
	}
	if (t->nslots == t->capslots) {
		size_t cap = t->capslots * 2;
		slot *s = realloc(t->slots, cap * sizeof *s);
		if (!s) return NULL;
		t->slots = s;
		t->capslots = cap;
	}
	if ((t->nslots + 1) * 2 > t->lcap) {
		size_t cap = t->lcap * 2;
		uint32_t *tab = calloc(cap, sizeof *tab);
		if (!tab) return NULL;
		for (size_t j = 0; j < t->nslots; j++) {
			size_t m = (t->slots[j].key * 0x9e3779b1u) & (cap - 1);
			while (tab[m]) m = (m + 1) & (cap - 1);
			tab[m] = (uint32_t)j + 1;
		}
		free(t->ltab);
		t->ltab = tab;
		t->lcap = cap;
		mask = cap - 1;
		i = (key * 0x9e3779b1u) & mask;
		while (t->ltab[i]) i = (i + 1) & mask;
	}
	t->ltab[i] = (uint32_t)t->nslots + 1;
	slot *s = &t->slots[t->nslots++];
	*s = (slot){ key, 0, 0, NULL };
	return s;
}

static int slot_put(slot *s, uint32_t pos)
{
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap + s->cap / 2 : 16;
		uint32_t *p = realloc(s->pos, (size_t)cap * sizeof *p);
		if (!p) return BPE_ENOMEM;
		s->pos = p;
		s->cap = cap;
	}
	s->pos[s->n++] = pos;
	return BPE_OK;
}

/* Rewrite every occurrence of pair i, left to right, into token x; collect
 * the pairs the new token forms and track those seen min_count times. */
static int merge(trainer *t, size_t i, uint32_t x)
{
	pairrec P = t->pr[i];
	uint32_t *sym = t->sym;
	uint32_t a = P.a, b = P.b, la = t->tlen[a], lb = t->tlen[b], lx = la + lb;
	const uint32_t *l = t->arena + P.off;
	int rc = BPE_OK;
	t->tlen[x] = lx;
	t->nslots = 0;
	for (uint32_t j = 0; j < P.n && !rc; j++) {
		if (j + 16 < P.n) __builtin_prefetch(&sym[l[j + 16] - 1], 1);
		uint32_t p = l[j], q = p + la;
		if (sym[p] != a || sym[q] != b) continue;   /* consumed by an overlapping site */
		uint32_t v = sym[p - 1], r = q + lb, w = sym[r];
		sym[p] = x;
		sym[q] = DEAD;
		sym[p + lx - 1] = TAIL | lx;
		if (v != SEP) {
			uint32_t L = (v & TAIL) ? p - (v & ~TAIL) : p - 1, ls = sym[L];
			if (fits(t, ls, x)) {
				slot *s = slot_get(t, ls);
				rc = s ? slot_put(s, L) : BPE_ENOMEM;
			}
		}
		if (w != SEP && !rc && fits(t, x, w)) {
			slot *s = slot_get(t, TAIL | w);
			rc = s ? slot_put(s, p) : BPE_ENOMEM;
		}
	}
	t->pr[i].state = PAIR_GONE;
	t->pr[i].n = 0;
	/* New pairs: keep the positions still valid, in order. */
	for (size_t k = 0; k < t->nslots; k++) {
		slot *s = &t->slots[k];
		if (!rc) {
			int right = (s->key & TAIL) != 0;
			uint32_t o = s->key & ~TAIL, pa = right ? x : o, pb = right ? o : x, lpa = t->tlen[pa], c = 0;
			for (uint32_t j = 0; j < s->n; j++) {
				if (j + 16 < s->n) __builtin_prefetch(&sym[s->pos[j + 16]]);
				uint32_t pos = s->pos[j];
				if (sym[pos] == pa && sym[pos + lpa] == pb) s->pos[c++] = pos;
			}
			if (c >= t->min_count) {
				rc = arena_reserve(t, c);
				if (!rc) {
					memcpy(t->arena + t->used, s->pos, (size_t)c * sizeof *s->pos);
					rc = pair_new(t, pa, pb, c, t->used);
					t->used += c;
				}
				if (!rc) rc = heap_push(t, c, (uint32_t)(t->npr - 1));
			}
		}
		free(s->pos);
	}
	/* Reset the slot table for the next merge (only the slots used). */
	if (t->nslots * 8 < t->lcap) {
		for (size_t k = 0; k < t->nslots; k++) {
			size_t mask = t->lcap - 1, m = (t->slots[k].key * 0x9e3779b1u) & mask;
			while (t->ltab[m] != k + 1) m = (m + 1) & mask;
			t->ltab[m] = 0;
		}
	} else {
		memset(t->ltab, 0, t->lcap * sizeof *t->ltab);
	}
	t->nslots = 0;
	return rc;
}

/* ---- token bytes for the distinct-bytes rule ----------------------------- */

static int token_add(trainer *t, uint32_t id, const uint8_t *p, uint32_t n, uint64_t h)
{
	if (t->tused + n > t->tcap) {
		uint64_t cap = t->tcap * 2;
		if (cap < t->tused + n) cap = t->tused + n;
		uint8_t *q = realloc(t->tb, cap);
		if (!q) return BPE_ENOMEM;
		t->tb = q;
		t->tcap = cap;
	}
	memcpy(t->tb + t->tused, p, n);
	t->toff[id] = t->tused;
	t->tused += n;
	return bpe__tokset_add(&t->set, id, h);
}

/* ---- the training loop --------------------------------------------------- */

static void trainer_free(trainer *t)
{
	free(t->tlen);
	free(t->pr);
	free(t->arena);
	free(t->heap);
	free(t->ltab);
	free(t->slots);
	free(t->tb);
	free(t->toff);
	bpe__tokset_free(&t->set);
}

int bpe_train(bpe_corpus *c, const bpe_train_opts *o, uint32_t **pairs_out, size_t *n_out,
              bpe_train_stats *stats, bpe_error *err)
{
	*pairs_out = NULL;
	*n_out = 0;
	if (!o || o->vocab_size < 256 || o->vocab_size > BPE_MAX_VOCAB || o->min_count < 1 ||
	    256 + o->n_init > BPE_MAX_VOCAB || (o->n_init && !o->init_pairs)) {
		bpe__seterr(err, BPE_EINVAL, UINT64_MAX, "invalid training options");
		return BPE_EINVAL;
	}
	trainer T = {0}, *t = &T;
	t->sym = c->sym;
	t->nsym = c->n;
	t->min_count = o->min_count;
	t->maxlen = o->max_token_bytes ? o->max_token_bytes : UINT32_MAX;
	t->nt = 1;   /* without OpenMP every parallel region runs once */
#ifdef _OPENMP
	t->nt = o->threads > 0 ? o->threads : omp_get_max_threads();
#endif
	t->st.corpus_bytes = c->bytes;
	t->st.docs = c->docs;
	/* Greedy merges do not depend on how many follow them: of a longer
	 * checkpoint, the first vocab_size - 256 are this run's result. */
	size_t n_init = o->n_init < o->vocab_size - 256 ? o->n_init : o->vocab_size - 256;
	uint32_t V = o->vocab_size;
	size_t n_merges = 0, cap_m = V - 256;
	uint32_t *out = malloc((2 * cap_m + 2) * sizeof *out);
	t->tlen = malloc((size_t)V * sizeof *t->tlen);
	t->toff = malloc((size_t)V * sizeof *t->toff);
	t->tcap = 1 << 16;
	t->tb = malloc(t->tcap);
	t->lcap = 1024;
	t->ltab = calloc(t->lcap, sizeof *t->ltab);
	t->capslots = 256;
	t->slots = malloc(t->capslots * sizeof *t->slots);
	int rc = BPE_ENOMEM;
	if (!out || !t->tlen || !t->toff || !t->tb || !t->ltab || !t->slots || bpe__tokset_init(&t->set, V))
		goto done;
	rc = BPE_OK;
	for (uint32_t b = 0; b < 256 && !rc; b++) {
		uint8_t byte = (uint8_t)b;
		t->tlen[b] = 1;
		rc = token_add(t, b, &byte, 1, bpe__hash_bytes(&byte, 1));
	}
	/* Resume: the replayed merges become ordinary tokens. */
	if (n_init && !rc) {
		bpe_vocab *v;
		if ((rc = bpe_vocab_from_merges(o->init_pairs, n_init, 0, &v, err))) goto done;
		for (size_t k = 0; k < n_init && !rc; k++) {
			uint32_t id = (uint32_t)(256 + k), l = bpe_token_len(v, id);
			const uint8_t *p = bpe_token_bytes(v, id);
			t->tlen[id] = l;
			rc = token_add(t, id, p, l, bpe__hash_bytes(p, l));
		}
		bpe_vocab_free(v);
		memcpy(out, o->init_pairs, 2 * n_init * sizeof *out);
		n_merges = n_init;
		if (!rc) rc = replay(t, o->init_pairs, n_init);
		if (!rc) rc = build_generic(t);
	} else if (!rc) {
		rc = build_bytes(t);
	}
	if (rc) goto done;
	for (size_t i = 0; i < t->npr && !rc; i++) rc = heap_push(t, t->pr[i].n, (uint32_t)i);
	t->live_after_gc = t->used;
	if (rc) goto done;
	if (o->progress && o->progress(o->progress_ud, out, n_merges, 0)) { rc = BPE_ESTOPPED; goto done; }

	uint8_t *cat = NULL;
	size_t catcap = 0;
	uint64_t slack = o->gc_slack ? o->gc_slack : 1u << 22;
	/* Compaction costs a pass over every list; a quarter of the live entries
	 * as slack keeps it rare and the arena near its live size. */
	while (256 + n_merges < V && t->nheap) {
		hent e = heap_pop(t);
		pairrec *p = &t->pr[e.idx];
		if (p->state != PAIR_LIVE) continue;
		if (e.count < t->min_count) break;   /* every other count is <= this bound */
		uint32_t cnt = pair_recount(t, e.idx);
		if (cnt != e.count) {
			t->st.stale_pops++;
			if (cnt >= t->min_count) { if ((rc = heap_push(t, cnt, e.idx))) break; }
			else p->state = PAIR_GONE;
			continue;
		}
		/* Eligible only if its bytes are new and the byte budget holds. */
		uint32_t la = t->tlen[p->a], lb = t->tlen[p->b], lx = la + lb;
		if (t->tused + lx > BPE_MAX_TOTAL_TOKEN_BYTES) { p->state = PAIR_GONE; continue; }
		if (lx > catcap) {
			uint8_t *q = realloc(cat, lx);
			if (!q) { rc = BPE_ENOMEM; break; }
			cat = q;
			catcap = lx;
		}
		memcpy(cat, t->tb + t->toff[p->a], la);
		memcpy(cat + la, t->tb + t->toff[p->b], lb);
		uint64_t h = bpe__hash_bytes(cat, lx);
		if (bpe__tokset_find(&t->set, t->tb, t->toff, t->tlen, cat, lx, h) >= 0) {
			p->state = PAIR_GONE;
			continue;
		}
		uint32_t x = (uint32_t)(256 + n_merges);
		out[2 * n_merges] = p->a;
		out[2 * n_merges + 1] = p->b;
		if ((rc = merge(t, e.idx, x))) break;
		if ((rc = token_add(t, x, cat, lx, h))) break;
		n_merges++;
		if (o->progress && o->progress(o->progress_ud, out, n_merges, e.count)) { rc = BPE_ESTOPPED; break; }
		if (t->used > t->live_after_gc + (o->gc_slack ? slack : t->live_after_gc / 4 + slack) && (rc = gc(t))) break;
	}
	free(cat);
	if (rc == BPE_ENOMEM) bpe__seterr(err, rc, UINT64_MAX, "out of memory");
	if (rc == BPE_ESTOPPED) bpe__seterr(err, rc, UINT64_MAX, "stopped after %zu merges", n_merges);
	if (stats) {
		uint64_t left = 0;
		for (uint64_t p = 1; p < t->nsym;) {
			uint32_t v = t->sym[p];
			if (v == SEP) { p++; continue; }
			left++;
			p += t->tlen[v];
		}
		t->st.symbols_after = left;
	}
done:
	if (rc == BPE_ENOMEM) bpe__seterr(err, rc, UINT64_MAX, "out of memory");
	if (stats) *stats = t->st;
	trainer_free(t);
	if (rc && rc != BPE_ESTOPPED) { free(out); return rc; }
	*pairs_out = out;
	*n_out = n_merges;
	return rc;
}
