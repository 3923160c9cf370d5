/*
 * bpe_encode.c - apply a vocabulary: bytes -> ids and ids -> bytes.
 *
 * Encoding keeps a min-queue of (rank, position) over the adjacent pairs that
 * have a merge and are local minima (the lowest pair of all is always one).
 * A pair created by merge r only ever involves token 256 + r, whose own
 * merges all rank after r, so ranks come off the queue in order and, within
 * one rank, left to right: exactly "apply the merges in rank order, each over
 * the whole document", which is also how training rewrote it. Entries made
 * stale by a neighbouring merge are recognised by a per-position record of
 * the rank of the pair that currently starts there.
 */
#include "bpe_internal.h"

#include <stdlib.h>
#include <sys/mman.h>

#define NONE 0xffffffffu

/* Rank of every merge pair: a direct table for two bytes, open addressing
 * on (left, right) for the rest behind a bit filter, since most pairs an
 * encoder asks about have no merge and the filter answers those from cache.
 * (Per-token partner lists, read in rank order, missed the cache less but
 * cost more instructions: slower overall, measured.) */
typedef struct {
	uint64_t key;                /* a << 32 | b, UINT64_MAX = empty */
	uint32_t rank, pad;
} rslot;
#define FILTER_BITS 21

typedef struct {
	uint32_t byte_rank[65536];   /* rank of (a, b) for two bytes, NONE if no merge */
	rslot *tab;
	uint64_t mask;
	uint64_t *filter;            /* 2^21 bits */
} ranks;

/* One multiply serves both: the filter takes the top bits of the product,
 * the table its low bits with the top ones folded in. */
static inline uint64_t key_hash(uint64_t k)
{
	return k * 0x9e3779b97f4a7c15ull;
}

static inline uint64_t rslot_of(uint64_t h, uint64_t mask)
{
	return (h ^ (h >> 29)) & mask;
}

static inline uint64_t filter_of(uint64_t h)
{
	return h >> (64 - FILTER_BITS);
}

/* Rank of the merge (a, b) where one of them is not a byte, NONE if none. */
static inline uint32_t rank_hashed(const ranks *t, uint32_t a, uint32_t b)
{
	uint64_t k = (uint64_t)a << 32 | b, h = key_hash(k), f = filter_of(h);
	if (!(t->filter[f >> 6] >> (f & 63) & 1)) return NONE;
	for (uint64_t s = rslot_of(h, t->mask);; s = (s + 1) & t->mask) {
		if (t->tab[s].key == k) return t->tab[s].rank;
		if (t->tab[s].key == UINT64_MAX) return NONE;
	}
}

struct bpe_encoder {
	const bpe_vocab *v;
	ranks rk;
	uint64_t inside[1024];       /* bit (a << 8 | b): bytes a, b are adjacent inside some token */
};

/* Everything about one position in a quarter of a cache line, so a merge
 * touches about four lines instead of a dozen. */
typedef struct {
	uint32_t tok;   /* token starting here (valid at heads) */
	uint32_t nxt;   /* next head */
	uint32_t prv;   /* previous head */
	uint32_t rk;    /* rank of the pair starting here, NONE if none */
} node;

/* The queue: one bucket of positions per rank (chunks from a pool) and a
 * bitmap of non-empty ranks scanned forward, since ranks only increase. */
#define CHUNK 14
typedef struct {
	uint32_t next, n;
	uint32_t pos[CHUNK];
} chunk;

struct bpe_workspace {
	node *nd;
	size_t cap;
	chunk *pool;
	uint32_t npool, cappool;
	uint32_t freed;              /* chunks of buckets already merged, linked by next */
	struct { uint32_t head, tail; } *q;   /* chunks per rank, head NONE = empty */
	uint64_t *bits;              /* ranks with a non-empty bucket */
	uint64_t *sum;               /* words of bits that are not zero: a long */
	                             /* segment then scans 1/64 of the bitmap */
	uint32_t *tmp;               /* a bucket of several chunks, gathered */
	size_t ntmp;
	uint32_t nranks;
};

/* Zeroed memory for a large table read at random: on 2 MiB pages where the
 * system offers them, since with 4 KiB pages nearly every lookup in a table
 * of megabytes also misses the TLB. Free with free(). */
static void *table_alloc(size_t bytes)
{
	const size_t huge = (size_t)2 << 20;
	if (bytes < huge / 2) return calloc(1, bytes ? bytes : 1);
	void *p;
	size_t n = (bytes + huge - 1) / huge * huge;
	if (posix_memalign(&p, huge, n)) return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, n, MADV_HUGEPAGE);   /* a hint: failure only costs speed */
#endif
	memset(p, 0, n);
	return p;
}

static int ranks_init(ranks *t, const bpe_vocab *v)
{
	uint64_t cap = 1024;
	while (cap < (uint64_t)v->n_merges * 2) cap *= 2;
	t->tab = table_alloc(cap * sizeof *t->tab);
	t->filter = table_alloc((1u << FILTER_BITS) / 8);
	if (!t->tab || !t->filter) return BPE_ENOMEM;
	for (uint64_t i = 0; i < cap; i++) t->tab[i].key = UINT64_MAX;
	t->mask = cap - 1;
	for (size_t i = 0; i < 65536; i++) t->byte_rank[i] = NONE;
	for (uint32_t r = 0; r < v->n_merges; r++) {
		uint32_t a = v->pairs[2 * r], b = v->pairs[2 * r + 1];
		uint64_t k = (uint64_t)a << 32 | b, h = key_hash(k), s = rslot_of(h, t->mask);
		while (t->tab[s].key != UINT64_MAX && t->tab[s].key != k) s = (s + 1) & t->mask;
		if (t->tab[s].key == k) continue;   /* cannot happen in a valid vocabulary */
		t->tab[s].key = k;
		t->tab[s].rank = r;
		uint64_t f = filter_of(h);
		t->filter[f >> 6] |= 1ull << (f & 63);
		if ((a | b) < 256) t->byte_rank[a << 8 | b] = r;
	}
	return BPE_OK;
}

int bpe_encoder_create(const bpe_vocab *v, bpe_encoder **out)
{
	*out = NULL;
	bpe_encoder *e = calloc(1, sizeof *e);
	if (!e) return BPE_ENOMEM;
	e->v = v;
	if (ranks_init(&e->rk, v)) {
		bpe_encoder_free(e);
		return BPE_ENOMEM;
	}
	/* A token holds byte pair (a, b) only if one of its merges joined a
	 * token ending in a to one starting with b, or a part already held it. */
	for (uint32_t r = 0; r < v->n_merges; r++) {
		uint32_t a = v->pairs[2 * r], b = v->pairs[2 * r + 1];
		uint32_t x = (uint32_t)v->bytes[v->off[a] + v->len[a] - 1] << 8 | v->bytes[v->off[b]];
		e->inside[x >> 6] |= 1ull << (x & 63);
	}
	*out = e;
	return BPE_OK;
}

void bpe_encoder_free(bpe_encoder *e)
{
	if (!e) return;
	free(e->rk.tab);
	free(e->rk.filter);
	free(e);
}


bpe_workspace *bpe_workspace_create(void)
{
	return calloc(1, sizeof(bpe_workspace));
}

void bpe_workspace_free(bpe_workspace *w)
{
	if (!w) return;
	free(w->nd);
	free(w->pool);
	free(w->q);
	free(w->bits);
	free(w->sum);
	free(w->tmp);
	free(w);
}

static int ws_reserve(bpe_workspace *w, size_t n, uint32_t nranks)
{
	if (nranks > w->nranks) {
		free(w->q); free(w->bits); free(w->sum);
		w->q = malloc(nranks * sizeof *w->q);
		w->bits = calloc(nranks / 64 + 1, sizeof *w->bits);
		w->sum = calloc(nranks / 4096 + 1, sizeof *w->sum);
		if (!w->q || !w->bits || !w->sum) {
			free(w->q); free(w->bits); free(w->sum);
			w->q = NULL;
			w->bits = w->sum = NULL;
			w->nranks = 0;
			return BPE_ENOMEM;
		}
		for (uint32_t r = 0; r < nranks; r++) w->q[r].head = NONE;
		w->nranks = nranks;
	}
	if (n <= w->cap) return BPE_OK;
	free(w->nd);
	w->nd = malloc(n * sizeof *w->nd);
	w->cap = n;
	if (!w->nd) { w->cap = 0; return BPE_ENOMEM; }
	return BPE_OK;
}

/* Room for `extra` more chunks in the pool: the check inline, the growth
 * (rare) out of line. */
static int pool_grow(bpe_workspace *w, uint32_t extra);
static inline int pool_reserve(bpe_workspace *w, uint32_t extra)
{
	return w->cappool - w->npool >= extra ? BPE_OK : pool_grow(w, extra);
}

static __attribute__((noinline)) int pool_grow(bpe_workspace *w, uint32_t extra)
{
	uint32_t cap = w->cappool ? w->cappool : 1024;
	while (cap - w->npool < extra) cap *= 2;
	chunk *q = realloc(w->pool, (size_t)cap * sizeof *q);
	if (!q) return BPE_ENOMEM;
	w->pool = q;
	w->cappool = cap;
	return BPE_OK;
}

/* A chunk for a bucket: one that an earlier bucket has given back, else a
 * new one. Without the reuse a run of (a, a), merged one pair per pass, took
 * a chunk per pair: 64 bytes of memory per input byte of zeros. */
static inline int enqueue(bpe_workspace *w, uint32_t r, uint32_t p)
{
	uint32_t c = w->q[r].tail;
	if (w->q[r].head == NONE || w->pool[c].n == CHUNK) {
		uint32_t nc = w->freed;
		if (nc != NONE) w->freed = w->pool[nc].next;
		else if (pool_reserve(w, 1)) return BPE_ENOMEM;
		else nc = w->npool++;
		w->pool[nc].next = NONE;
		w->pool[nc].n = 0;
		if (w->q[r].head == NONE) {
			w->q[r].head = nc;
			w->bits[r >> 6] |= 1ull << (r & 63);
			w->sum[r >> 12] |= 1ull << (r >> 6 & 63);
		}
		else w->pool[c].next = nc;
		w->q[r].tail = c = nc;
	}
	w->pool[c].pos[w->pool[c].n++] = p;
	return BPE_OK;
}

/* The queue holds only pairs that are local minima: lower than the pair on
 * their left, and not higher than the one on their right (equal ranks side by
 * side are a run of (a, a), taken leftmost first). The lowest pair of all is
 * one, so nothing else need wait in the queue; a merge re-examines the pairs
 * around it (merge_at), which are the only ones whose neighbours changed. */
/* Merge the pair of rank r starting at p, if it is still there. */
static inline int merge_at(const bpe_encoder *e, bpe_workspace *w, node *nd, size_t n, uint32_t r, uint32_t p)
{
	node *P = &nd[p];
	if (P->rk != r) return BPE_OK;   /* changed by a neighbour's merge */
	uint32_t q = P->nxt, nq = nd[q].nxt, x = 256 + r, l = P->prv;
	/* Inside a run of (a, a) (the pair on the left is this same one): the
	 * left one goes first, and p is queued again once it is a local minimum.
	 * This is what keeps runs leftmost first, in whatever order a bucket
	 * holds its positions. */
	if (p > 0 && nd[l].rk == r) return BPE_OK;
	uint32_t rq = nd[q].rk, rl = p > 0 ? nd[l].rk : NONE;
	P->tok = x;
	nd[q].rk = NONE;
	P->nxt = nq;
	/* The new ranks on either side, and the ranks around them, known here:
	 * the local-minimum tests below read no node twice. */
	uint32_t rp = NONE, r1 = NONE, nl = NONE;
	if (nq < n) {
		nd[nq].prv = p;
		rp = rank_hashed(&e->rk, x, nd[nq].tok);
		r1 = nd[nq].rk;
	}
	P->rk = rp;
	/* New entries: l and p when they are local minima at their new ranks;
	 * l's left and nq only when they have just become one (the pair beside
	 * them went up): if they were one before, they are queued already. */
	if (p > 0) {
		nl = rank_hashed(&e->rk, nd[l].tok, x);
		nd[l].rk = nl;
		uint32_t r0 = NONE;
		if (l > 0) {
			uint32_t ll = nd[l].prv;
			r0 = nd[ll].rk;
			if (r0 > rl && r0 != NONE && r0 <= nl && (ll == 0 || nd[nd[ll].prv].rk > r0) && enqueue(w, r0, ll))
				return BPE_ENOMEM;
		}
		if (nl != NONE && nl < r0 && nl <= rp && enqueue(w, nl, l)) return BPE_ENOMEM;
	}
	if (rp != NONE && rp < nl && rp <= r1 && enqueue(w, rp, p)) return BPE_ENOMEM;
	if (r1 != NONE && r1 >= rq && r1 < rp) {
		uint32_t k = nd[nq].nxt;
		if ((k >= n || r1 <= nd[k].rk) && enqueue(w, r1, nq)) return BPE_ENOMEM;
	}
	return BPE_OK;
}

/* A long segment: the rank-bucket queue over a linked list of positions. */
static int encode_long(const bpe_encoder *e, bpe_workspace *w, const uint8_t *in, size_t n,
                       uint32_t *out, size_t *n_out)
{
	uint32_t nr = e->v->n_merges;
	if (ws_reserve(w, n, nr)) return BPE_ENOMEM;
	node *nd = w->nd;
	w->npool = 0;
	w->freed = NONE;
	/* Every pair to start with, and the local minima among them: rp, r and
	 * rn are the ranks of the pairs at i - 1, i and i + 1 (no list to follow
	 * yet). */
	const uint32_t *br = e->rk.byte_rank;
	uint32_t rp = NONE, r = br[in[0] << 8 | in[1]], i = 0;
	for (; i + 2 < n; i++) {
		uint32_t rn = br[in[i + 1] << 8 | in[i + 2]];
		nd[i] = (node){ in[i], i + 1, i - 1, r };
		if (r < rp && r <= rn && enqueue(w, r, i)) goto nomem;
		rp = r;
		r = rn;
	}
	nd[i] = (node){ in[i], i + 1, i - 1, r };
	if (r < rp && enqueue(w, r, i)) goto nomem;
	nd[i + 1] = (node){ in[i + 1], i + 2, i, NONE };
	/* A merge only enqueues its own rank (the next pair of a run of (a, a))
	 * or later ones, so one forward scan serves; a word leaves the summary
	 * once it is empty. */
	for (size_t si = 0; si <= nr / 4096; si++) while (w->sum[si]) {
		size_t wi = si * 64 + (size_t)__builtin_ctzll(w->sum[si]);
		while (w->bits[wi]) {
			uint32_t r = (uint32_t)(wi * 64 + (size_t)__builtin_ctzll(w->bits[wi]));
			w->bits[wi] &= w->bits[wi] - 1;
			uint32_t c = w->q[r].head, last = w->q[r].tail;
			w->q[r].head = NONE;
			/* The bucket as one array, so that positions can be prefetched a
			 * few merges ahead (each is usually a cache miss in a long input):
			 * most buckets are one chunk, read in place (about 5% faster
			 * than always copying, measured), the rest are gathered. */
			const uint32_t *t;
			size_t k = 0;
			if (w->pool[c].next == NONE) {
				/* A merge takes at most four chunks: with those reserved,
				 * none moves the pool under t. */
				k = w->pool[c].n;
				if (pool_reserve(w, 4 * (uint32_t)k)) goto nomem;
				t = w->pool[c].pos;
			} else {
				for (uint32_t d = c; d != NONE; d = w->pool[d].next) k += w->pool[d].n;
				if (k > w->ntmp) {
					uint32_t *m = realloc(w->tmp, (k + 64) * sizeof *m);
					if (!m) goto nomem;
					w->tmp = m;
					w->ntmp = k + 64;
				}
				k = 0;
				for (uint32_t d = c; d != NONE; d = w->pool[d].next)
					for (uint32_t i = 0; i < w->pool[d].n; i++) w->tmp[k++] = w->pool[d].pos[i];
				t = w->tmp;
			}
			/* Occurrences of (a, b), a != b, never overlap, so any order gives
			 * the same result; merge_at takes runs of (a, a) left to right. */
			for (size_t i = 0; i < k; i++) {
				if (i + 8 < k) __builtin_prefetch(&nd[t[i + 8]], 1);
				if (merge_at(e, w, nd, n, r, t[i])) goto nomem;
			}
			/* The bucket's chunks are free now (not before: t may point
			 * into the first). */
			w->pool[last].next = w->freed;
			w->freed = c;
		}
		w->sum[si] &= ~(1ull << (wi & 63));
	}
	size_t m = 0;
	for (uint32_t p = 0; p < n; p = nd[p].nxt) out[m++] = nd[p].tok;
	*n_out = m;
	return BPE_OK;
nomem:
	/* Leave the queue empty for the next call. */
	memset(w->bits, 0, (nr / 64 + 1) * sizeof *w->bits);
	memset(w->sum, 0, (nr / 4096 + 1) * sizeof *w->sum);
	for (uint32_t r = 0; r < nr; r++) w->q[r].head = NONE;
	return BPE_ENOMEM;
}

/* A short segment: find the lowest-ranked pair (the leftmost on a tie, i.e.
 * runs left to right), merge it, repeat. Quadratic, but k is small. */
#define SHORT 32
static size_t encode_short(const bpe_encoder *e, const uint8_t *in, size_t k, uint32_t *out)
{
	uint32_t tk[SHORT], rk[SHORT];
	size_t m = k;
	for (size_t i = 0; i < k; i++) {
		tk[i] = in[i];
		rk[i] = i + 1 < k ? e->rk.byte_rank[in[i] << 8 | in[i + 1]] : NONE;
	}
	for (;;) {
		uint32_t best = NONE;
		size_t bi = 0;
		for (size_t i = 0; i + 1 < m; i++)
			if (rk[i] < best) { best = rk[i]; bi = i; }
		if (best == NONE) break;
		tk[bi] = 256 + best;
		for (size_t i = bi + 1; i + 1 < m; i++) { tk[i] = tk[i + 1]; rk[i] = rk[i + 1]; }
		m--;
		rk[bi] = bi + 1 < m ? rank_hashed(&e->rk, tk[bi], tk[bi + 1]) : NONE;
		if (bi > 0) rk[bi - 1] = rank_hashed(&e->rk, tk[bi - 1], tk[bi]);
	}
	memcpy(out, tk, m * sizeof *tk);
	return m;
}

/* No token holds a byte pair outside e->inside, so no merge ever joins the
 * two sides of such a pair: the input splits there into segments that
 * encode independently (and mostly in cache). */
size_t bpe_encode_cut(const bpe_encoder *e, const uint8_t *in, size_t n, size_t at)
{
	for (size_t t = at < 1 ? 1 : at; t < n; t++) {
		uint32_t x = (uint32_t)in[t - 1] << 8 | in[t];
		if (!(e->inside[x >> 6] >> (x & 63) & 1)) return t;
	}
	return n;
}

int bpe_encode(const bpe_encoder *e, bpe_workspace *w, const uint8_t *in, size_t n,
               uint32_t *out, size_t *n_out)
{
	*n_out = 0;
	if (!n) return BPE_OK;
	if (n >= NONE) return BPE_ERANGE;
	if (e->v->n_merges == 0 || n == 1) {
		for (size_t i = 0; i < n; i++) out[i] = in[i];
		*n_out = n;
		return BPE_OK;
	}
	size_t m = 0;
	for (size_t s = 0; s < n;) {
		size_t t = bpe_encode_cut(e, in, n, s + 1);
		if (t - s == 1) {
			out[m++] = in[s];
		} else if (t - s <= SHORT) {
			m += encode_short(e, in + s, t - s, out + m);
		} else {
			size_t k;
			int rc = encode_long(e, w, in + s, t - s, out + m, &k);
			if (rc) return rc;
			m += k;
		}
		s = t;
	}
	*n_out = m;
	return BPE_OK;
}

int bpe_decode(const bpe_vocab *v, const uint32_t *ids, size_t n, uint8_t *out, size_t *n_out, size_t *bad)
{
	uint32_t V = 256 + v->n_merges;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = ids[i];
		if (id >= V) {
			if (bad) *bad = i;
			*n_out = m;
			return BPE_ERANGE;
		}
		if (out) memcpy(out + m, v->bytes + v->off[id], v->len[id]);
		m += v->len[id];
	}
	*n_out = m;
	return BPE_OK;
}
