/*
 * bpe_vocab.c - the vocabulary: merges, the bytes of every token, the exact
 * distinct-bytes check, and the strict text file format (parse and write).
 * Nothing here reads or writes files: the tool hands buffers in and out.
 */
#include "bpe_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>

const char *bpe_strerror(int code)
{
	switch (code) {
	case BPE_OK: return "success";
	case BPE_ENOMEM: return "out of memory";
	case BPE_EINVAL: return "invalid argument";
	case BPE_EFORMAT: return "malformed vocabulary";
	case BPE_ERANGE: return "value out of range";
	case BPE_ESTOPPED: return "stopped";
	default: return "unknown error";
	}
}

void bpe__seterr(bpe_error *err, int code, uint64_t offset, const char *fmt, ...)
{
	if (!err) return;
	err->code = code;
	err->offset = offset;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
}

/* ---- hashing and the token set ----------------------------------------- */

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27; x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t bpe__hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = mix64(h ^ w) + 0x9e3779b97f4a7c15ull;
	}
	uint64_t w = 0;
	memcpy(&w, p + i, n - i);
	return mix64(h ^ w ^ ((uint64_t)(n - i) << 56));
}

int bpe__tokset_init(bpe__tokset *s, size_t expect)
{
	size_t cap = 1024;
	while (cap < expect * 2) cap *= 2;
	s->slot = calloc(cap, sizeof *s->slot);
	s->hash = malloc(cap * sizeof *s->hash);
	s->cap = cap;
	s->n = 0;
	if (!s->slot || !s->hash) { bpe__tokset_free(s); return BPE_ENOMEM; }
	return BPE_OK;
}

void bpe__tokset_free(bpe__tokset *s)
{
	free(s->slot);
	free(s->hash);
	s->slot = NULL;
	s->hash = NULL;
}

int64_t bpe__tokset_find(const bpe__tokset *s, const uint8_t *bytes, const uint64_t *off,
                         const uint32_t *len, const uint8_t *p, size_t n, uint64_t h)
{
	for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		uint32_t id1 = s->slot[i];
		if (!id1) return -1;
		uint32_t id = id1 - 1;
		if (s->hash[i] == h && len[id] == n && !memcmp(bytes + off[id], p, n)) return id;
	}
}

int bpe__tokset_add(bpe__tokset *s, uint32_t id, uint64_t h)
{
	if ((s->n + 1) * 2 > s->cap) {
		bpe__tokset t;
		t.cap = s->cap * 2;
		t.slot = calloc(t.cap, sizeof *t.slot);
		t.hash = malloc(t.cap * sizeof *t.hash);
		if (!t.slot || !t.hash) { free(t.slot); free(t.hash); return BPE_ENOMEM; }
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->slot[i]) continue;
			size_t j = s->hash[i] & (t.cap - 1);
			while (t.slot[j]) j = (j + 1) & (t.cap - 1);
			t.slot[j] = s->slot[i];
			t.hash[j] = s->hash[i];
		}
		free(s->slot);
		free(s->hash);
		s->slot = t.slot;
		s->hash = t.hash;
		s->cap = t.cap;
	}
	size_t i = h & (s->cap - 1);
	while (s->slot[i]) i = (i + 1) & (s->cap - 1);
	s->slot[i] = id + 1;
	s->hash[i] = h;
	s->n++;
	return BPE_OK;
}

/* ---- building a vocabulary ---------------------------------------------- */

void bpe_vocab_free(bpe_vocab *v)
{
	if (!v) return;
	free(v->pairs);
	free(v->len);
	free(v->off);
	free(v->bytes);
	for (size_t i = 0; i < 2 * v->n_meta; i++) free(v->meta[i]);
	free(v->meta);
	free(v);
}

int bpe_vocab_from_merges(const uint32_t *pairs, size_t n, uint64_t max_total,
                          bpe_vocab **out, bpe_error *err)
{
	*out = NULL;
	if (!max_total) max_total = BPE_MAX_TOTAL_TOKEN_BYTES;
	if (n > BPE_MAX_VOCAB - 256) {
		bpe__seterr(err, BPE_ERANGE, UINT64_MAX, "%zu merges (at most %u)", n, BPE_MAX_VOCAB - 256);
		return BPE_ERANGE;
	}
	if (n && !pairs) return BPE_EINVAL;
	size_t V = 256 + n;
	bpe_vocab *v = calloc(1, sizeof *v);
	if (!v) return BPE_ENOMEM;
	v->n_merges = (uint32_t)n;
	v->pairs = malloc((2 * n + 1) * sizeof *v->pairs);
	v->len = malloc(V * sizeof *v->len);
	v->off = malloc(V * sizeof *v->off);
	if (!v->pairs || !v->len || !v->off) goto nomem;
	if (n) memcpy(v->pairs, pairs, 2 * n * sizeof *pairs);
	/* Lengths first, with the cap checked before any byte is allocated, so a
	 * hostile file doubling its tokens cannot make us allocate 2^k bytes. */
	uint64_t total = 256;
	for (uint32_t b = 0; b < 256; b++) { v->len[b] = 1; v->off[b] = b; }
	v->max_len = 1;
	for (size_t k = 0; k < n; k++) {
		uint32_t a = pairs[2 * k], b = pairs[2 * k + 1];
		if (a >= 256 + k || b >= 256 + k) {
			bpe__seterr(err, BPE_EFORMAT, k, "merge %zu refers to id %u, not yet defined (ids < %zu)",
			            k, a >= 256 + k ? a : b, 256 + k);
			bpe_vocab_free(v);
			return BPE_EFORMAT;
		}
		uint64_t l = (uint64_t)v->len[a] + v->len[b];
		total += l;
		if (total > max_total) {
			bpe__seterr(err, BPE_ERANGE, k, "merge %zu: tokens hold more than %" PRIu64 " bytes in total",
			            k, max_total);
			bpe_vocab_free(v);
			return BPE_ERANGE;
		}
		v->off[256 + k] = total - l;
		v->len[256 + k] = (uint32_t)l;
		if (l > v->max_len) v->max_len = (uint32_t)l;
	}
	v->total = total;
	v->bytes = malloc(total ? total : 1);
	if (!v->bytes) goto nomem;
	for (uint32_t b = 0; b < 256; b++) v->bytes[b] = (uint8_t)b;
	bpe__tokset set;
	if (bpe__tokset_init(&set, V)) goto nomem;
	for (uint32_t b = 0; b < 256; b++)
		if (bpe__tokset_add(&set, b, bpe__hash_bytes(v->bytes + b, 1))) { bpe__tokset_free(&set); goto nomem; }
	for (size_t k = 0; k < n; k++) {
		uint32_t a = pairs[2 * k], b = pairs[2 * k + 1], id = (uint32_t)(256 + k);
		uint8_t *d = v->bytes + v->off[id];
		memcpy(d, v->bytes + v->off[a], v->len[a]);
		memcpy(d + v->len[a], v->bytes + v->off[b], v->len[b]);
		uint64_t h = bpe__hash_bytes(d, v->len[id]);
		int64_t dup = bpe__tokset_find(&set, v->bytes, v->off, v->len, d, v->len[id], h);
		if (dup >= 0) {
			bpe__seterr(err, BPE_EFORMAT, k, "merge %zu (%u %u) makes the same bytes as token %" PRId64,
			            k, a, b, dup);
			bpe__tokset_free(&set);
			bpe_vocab_free(v);
			return BPE_EFORMAT;
		}
		if (bpe__tokset_add(&set, id, h)) { bpe__tokset_free(&set); goto nomem; }
	}
	bpe__tokset_free(&set);
	*out = v;
	return BPE_OK;
nomem:
	bpe_vocab_free(v);
	bpe__seterr(err, BPE_ENOMEM, UINT64_MAX, "out of memory");
	return BPE_ENOMEM;
}

uint32_t bpe_vocab_size(const bpe_vocab *v) { return 256 + v->n_merges; }
size_t bpe_vocab_merges(const bpe_vocab *v) { return v->n_merges; }
const uint32_t *bpe_vocab_pairs(const bpe_vocab *v) { return v->pairs; }
uint32_t bpe_token_len(const bpe_vocab *v, uint32_t id) { return v->len[id]; }
const uint8_t *bpe_token_bytes(const bpe_vocab *v, uint32_t id) { return v->bytes + v->off[id]; }
uint32_t bpe_vocab_max_len(const bpe_vocab *v) { return v->max_len; }

const char *bpe_vocab_meta(const bpe_vocab *v, const char *key)
{
	for (size_t i = 0; i < v->n_meta; i++)
		if (!strcmp(v->meta[2 * i], key)) return v->meta[2 * i + 1];
	return NULL;
}

/* ---- the text file ------------------------------------------------------ */

#define MAGIC_LINE "kiln-bpe-vocab 1"

/* Strict decimal: 1-10 digits, no sign, no leading zero (except "0"). */
static int parse_u32(const char *p, const char *end, const char **stop, uint32_t *out)
{
	const char *s = p;
	uint64_t v = 0;
	while (p < end && *p >= '0' && *p <= '9' && p - s < 11) v = v * 10 + (uint64_t)(*p++ - '0');
	if (p == s || p - s > 10 || (p - s > 1 && *s == '0') || v > UINT32_MAX) return -1;
	*stop = p;
	*out = (uint32_t)v;
	return 0;
}

static int valid_key(const char *p, size_t n)
{
	if (!n || n > 64) return 0;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '-')) return 0;
	return 1;
}

static int valid_value(const char *p, size_t n)
{
	if (n > 4096) return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) return 0;
	return 1;
}

static char *dupn(const char *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s) { memcpy(s, p, n); s[n] = 0; }
	return s;
}

int bpe_vocab_parse(const void *data, size_t n, uint64_t max_total, bpe_vocab **out, bpe_error *err)
{
	*out = NULL;
	const char *buf = data, *p = buf, *end = buf + n;
	char **meta = NULL;
	size_t n_meta = 0;
	uint32_t *pairs = NULL;
	int rc = BPE_EFORMAT;
#define FAIL(...) do { bpe__seterr(err, BPE_EFORMAT, (uint64_t)(p - buf), __VA_ARGS__); goto fail; } while (0)
	size_t ml = strlen(MAGIC_LINE);
	if (n < ml + 1 || memcmp(p, MAGIC_LINE "\n", ml + 1)) FAIL("not a kiln-bpe vocabulary (first line must be \"" MAGIC_LINE "\")");
	p += ml + 1;
	uint32_t count = 0;
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) FAIL("truncated header (no \"merges N\" line)");
		const char *sp = memchr(p, ' ', (size_t)(nl - p));
		if (!sp) FAIL("header line is not \"key value\"");
		if (sp - p == 6 && !memcmp(p, "merges", 6)) {
			const char *stop;
			if (parse_u32(sp + 1, nl, &stop, &count) || stop != nl) FAIL("bad merge count");
			if (count > BPE_MAX_VOCAB - 256) {
				bpe__seterr(err, BPE_ERANGE, (uint64_t)(p - buf), "%u merges (at most %u)", count, BPE_MAX_VOCAB - 256);
				rc = BPE_ERANGE;
				goto fail;
			}
			p = nl + 1;
			break;
		}
		if (!valid_key(p, (size_t)(sp - p))) FAIL("bad metadata key");
		if (!valid_value(sp + 1, (size_t)(nl - sp - 1))) FAIL("bad metadata value");
		if (n_meta >= 64) FAIL("more than 64 metadata lines");
		char **m = realloc(meta, (n_meta + 1) * 2 * sizeof *meta);
		if (!m) goto nomem;
		meta = m;
		meta[2 * n_meta] = dupn(p, (size_t)(sp - p));
		meta[2 * n_meta + 1] = dupn(sp + 1, (size_t)(nl - sp - 1));
		n_meta++;
		if (!meta[2 * n_meta - 2] || !meta[2 * n_meta - 1]) goto nomem;
		p = nl + 1;
	}
	/* Each merge line takes at least 4 bytes: refuse a count the file cannot
	 * hold before allocating for it. */
	if ((uint64_t)count * 4 > (uint64_t)(end - p)) FAIL("file too short for %u merges", count);
	pairs = malloc(((size_t)count * 2 + 1) * sizeof *pairs);
	if (!pairs) goto nomem;
	const char *first_merge = p;
	for (uint32_t k = 0; k < count; k++) {
		/* Errors name the start of the offending line. */
		const char *stop, *line = p;
		if (parse_u32(p, end, &stop, &pairs[2 * k]) || stop >= end || *stop != ' ' ||
		    parse_u32(stop + 1, end, &stop, &pairs[2 * k + 1]) || stop >= end || *stop != '\n')
			FAIL("merge %u: expected \"LEFT RIGHT\" (decimal ids, one space, newline)", k);
		uint32_t lim = 256 + k;
		if (pairs[2 * k] >= lim || pairs[2 * k + 1] >= lim) {
			p = line;
			FAIL("merge %u refers to an id not yet defined (ids < %u)", k, lim);
		}
		p = stop + 1;
	}
	if (p != end) FAIL("trailing data after %u merges", count);
	rc = bpe_vocab_from_merges(pairs, count, max_total, out, err);
	free(pairs);
	pairs = NULL;
	if (rc) {
		/* from_merges names merge k: turn that into the byte offset of its line. */
		if (err && err->offset < count) {
			uint64_t k = err->offset;
			const char *q = first_merge;
			while (k--) q = memchr(q, '\n', (size_t)(end - q)) + 1;
			err->offset = (uint64_t)(q - buf);
		}
		goto fail_nomsg;
	}
	(*out)->meta = meta;
	(*out)->n_meta = n_meta;
	return BPE_OK;
#undef FAIL
nomem:
	rc = BPE_ENOMEM;
	bpe__seterr(err, rc, UINT64_MAX, "out of memory");
	goto fail_nomsg;
fail:
fail_nomsg:
	free(pairs);
	for (size_t i = 0; i < 2 * n_meta; i++) free(meta[i]);
	free(meta);
	return rc;
}

/* A growable output buffer. */
typedef struct { char *p; size_t n, cap; int bad; } obuf;

static void oput(obuf *b, const char *s, size_t n)
{
	if (b->bad) return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n + 1) cap *= 2;
		char *q = realloc(b->p, cap);
		if (!q) { b->bad = 1; return; }
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

int bpe_merges_format(const uint32_t *pairs, size_t n, const char *const *meta, size_t n_meta,
                      char **out, size_t *len)
{
	obuf b = {0};
	char line[64];
	oput(&b, MAGIC_LINE "\n", strlen(MAGIC_LINE) + 1);
	for (size_t i = 0; i < n_meta; i++) {
		const char *k = meta[2 * i], *v = meta[2 * i + 1];
		if (!valid_key(k, strlen(k)) || !valid_value(v, strlen(v))) { free(b.p); return BPE_EINVAL; }
		oput(&b, k, strlen(k));
		oput(&b, " ", 1);
		oput(&b, v, strlen(v));
		oput(&b, "\n", 1);
	}
	int l = snprintf(line, sizeof line, "merges %zu\n", n);
	oput(&b, line, (size_t)l);
	for (size_t k = 0; k < n; k++) {
		l = snprintf(line, sizeof line, "%u %u\n", pairs[2 * k], pairs[2 * k + 1]);
		oput(&b, line, (size_t)l);
	}
	if (b.bad) { free(b.p); return BPE_ENOMEM; }
	*out = b.p;
	*len = b.n;
	return BPE_OK;
}

int bpe_vocab_format(const bpe_vocab *v, const char *const *meta, size_t n_meta, char **out, size_t *len)
{
	return bpe_merges_format(v->pairs, v->n_merges, meta, n_meta, out, len);
}
